// The log line for a KSR call the trampoline cannot make (core/lua/export.h): where in the
// script, which function, what is wrong; the script gets `false`, as from Kamailio's app_lua.
#include <cstdio>

#include <lua.hpp>

#include "core/log/log.h"
#include "core/lua/export.h"

namespace osprey::lua::detail {

void logAtCaller(lua_State* L, const char* text) noexcept {
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
        if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline < 0) continue;
        log::writeAt(log::Level::Err, ar.short_src, ar.currentline, "%s:%d: %s", ar.short_src,
                     ar.currentline, text);
        return;
    }
    log::write(log::Level::Err, "%s", text);
}

namespace {

int pushFalse(lua_State* L) noexcept {
    lua_pushboolean(L, 0);
    return 1;
}

}  // namespace

int badArity(lua_State* L, int expected) noexcept {
    if (log::enabled(log::Level::Err)) {
        char text[256];
        std::snprintf(text, sizeof text, "wrong number of arguments to '%s' (%d expected, got %d)",
                      exportName(L), expected, lua_gettop(L));
        logAtCaller(L, text);
    }
    return pushFalse(L);
}

int badArgument(lua_State* L, int pos, const char* expected, ArgStatus why) noexcept {
    if (log::enabled(log::Level::Err)) {
        char text[256];
        switch (why) {
            case ArgStatus::NotIntegral:
                std::snprintf(text, sizeof text,
                              "bad argument #%d to '%s' (number has no integer representation)",
                              pos, exportName(L));
                break;
            case ArgStatus::OutOfRange:
                std::snprintf(text, sizeof text, "bad argument #%d to '%s' (integer out of range)",
                              pos, exportName(L));
                break;
            default:
                std::snprintf(text, sizeof text, "bad argument #%d to '%s' (%s expected, got %s)",
                              pos, exportName(L), expected, luaL_typename(L, pos));
                break;
        }
        logAtCaller(L, text);
    }
    return pushFalse(L);
}

}  // namespace osprey::lua::detail
