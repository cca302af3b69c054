// One function a module (or the core) exports to Lua, as it appears in the module's declarative
// description. Built by lua::fn<&function>("name") (core/lua/export.h), never by hand.
#pragma once

struct lua_State;

namespace osprey::lua {

using CFunction = int (*)(lua_State*);

struct FunctionSpec {
    const char* name;  // KEMI name: "sl_send_reply" -> KSR.sl.sl_send_reply
    CFunction call;    // generated trampoline
    const char* args;  // one code per argument: i int, b bool, d double, s string
    char ret;          // return code: i, b, d, s, n (none), v (pv value), x (stops the script)
    // Where the function lands: nullptr = KSR.<module>, "" = KSR itself, "x" = KSR.x, ...
    const char* table = nullptr;
};

}  // namespace osprey::lua
