// KSR.x.modf: one table from name to the export's closure, filled while the KSR table is built.
#include "core/lua/ksr_modf.h"

#include <cstdio>

#include <lua.hpp>

#include "core/lua/bad_call.h"

namespace osprey::lua {

namespace {

int modfFailure(lua_State* L, const char* text) {
    detail::logAtCaller(L, text);
    lua_pushinteger(L, -1);
    return 1;
}

// Not noexcept: the called export may raise (KSR.x.exit through modf stops the route).
int modf(lua_State* L) {
    const int n = lua_gettop(L);
    if (n < 1 || lua_type(L, 1) != LUA_TSTRING) {
        return modfFailure(L, "KSR.x.modf: the function name must be given first");
    }
    lua_pushvalue(L, 1);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isfunction(L, -1)) {
        char text[192];
        std::snprintf(text, sizeof text, "KSR.x.modf: function '%.120s' is not available",
                      lua_tostring(L, 1));
        return modfFailure(L, text);
    }
    lua_replace(L, 1);
    lua_call(L, n - 1, 1);
    switch (lua_type(L, -1)) {
        case LUA_TNUMBER:
            lua_pushinteger(L, lua_tointeger(L, -1));
            break;
        case LUA_TBOOLEAN:
            lua_pushinteger(L, lua_toboolean(L, -1) != 0 ? 1 : -1);
            break;
        case LUA_TNONE:
        case LUA_TNIL:
            lua_pushinteger(L, 1);
            break;
        default:
            return 1;  // a text result passes through
    }
    return 1;
}

}  // namespace

void addModfName(lua_State* L, int byName, const char* name) {
    lua_getfield(L, byName, name);
    const bool taken = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (taken) return;
    lua_pushvalue(L, -1);
    lua_setfield(L, byName, name);
}

void pushModf(lua_State* L, int byName) {
    lua_pushvalue(L, byName);
    lua_pushcclosure(L, modf, 1);
}

}  // namespace osprey::lua
