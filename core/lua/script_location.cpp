// Script position of the innermost Lua function on the engine's stack.
#include "core/lua/script_location.h"

#include <cstdio>

#include <lua.hpp>

#include "core/lua/process_engine.h"

namespace osprey::lua {

std::string_view scriptLocation(char* buf, size_t cap) noexcept {
    if (cap == 0) return {};
    buf[0] = '\0';
    Engine* e = processEngine();
    lua_State* L = e != nullptr ? e->state() : nullptr;
    lua_Debug ar;
    // Level 0 is the C function being called; the first Lua frame above it is the caller.
    for (int level = 0; L != nullptr && lua_getstack(L, level, &ar) != 0; ++level) {
        if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline < 0) continue;
        int n = std::snprintf(buf, cap, "%s:%d", ar.short_src, ar.currentline);
        if (n < 0) break;
        return {buf, static_cast<size_t>(n) < cap ? static_cast<size_t>(n) : cap - 1};
    }
    int n = std::snprintf(buf, cap, "?");
    return {buf, n > 0 ? static_cast<size_t>(n) : 0};
}

}  // namespace osprey::lua
