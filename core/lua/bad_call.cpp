// Where the log line of a KSR call the trampoline cannot make goes (core/lua/export.h): at the
// script line that made it, as an error; the engine points CallState::logError here.
#include "core/lua/bad_call.h"

#include <lua.hpp>

#include "core/log/log.h"

namespace osprey::lua::detail {

void logAtCaller(lua_State* L, const char* text) noexcept {
    if (!log::enabled(log::Level::Err)) return;
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
        if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline < 0) continue;
        log::writeAt(log::Level::Err, ar.short_src, ar.currentline, "%s:%d: %s", ar.short_src,
                     ar.currentline, text);
        return;
    }
    log::write(log::Level::Err, "%s", text);
}

}  // namespace osprey::lua::detail
