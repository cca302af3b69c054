// Script checks: compile only (syntax), or load into a throw-away engine.
#include "core/lua/script_check.h"

#include <vector>

#include <lua.hpp>

#include "core/lua/builtin_exports.h"
#include "core/module/module_set.h"

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

bool checkScriptText(const EngineOptions& options, const std::string& text, std::string* error) {
    std::vector<const module::ModuleExport*> exports(builtinExports().begin(),
                                                     builtinExports().end());
    for (const module::ModuleExport* m : module::loadedModules().exports()) exports.push_back(m);
    // The engine compiles before it runs the top level, so a syntax error is reported as such.
    return Engine::createFromText(options, text, exports, error) != nullptr;
}

}  // namespace osprey::lua
