// Lua syntax check: compile the chunk, never run it.
#include "core/lua/script_check.h"

#include <lua.hpp>

namespace osprey::lua {

bool checkScriptSyntax(const std::string& path, std::string* error) {
    lua_State* L = luaL_newstate();
    if (L == nullptr) {
        *error = "cannot create a Lua state";
        return false;
    }
    const int rc = luaL_loadfile(L, path.c_str());
    if (rc != 0) {
        // luaL_loadfile reports "path:line: message" for syntax errors, "cannot open path" else.
        const char* msg = lua_tostring(L, -1);
        *error = msg != nullptr ? msg : "cannot load " + path;
    }
    lua_close(L);
    return rc == 0;
}

}  // namespace osprey::lua
