// KSR.x.modf("name", args...): Kamailio's way to call an exported function by its name. The
// name is a function's KEMI name ("sl_send_reply", "t_relay") or, to pick one of several with
// that name, "<table>.<name>" ("sl.send_reply", "hdr.append"). The result is an integer as in
// Kamailio (a number as returned, true 1, false -1, nothing 1); an unknown name logs an error
// and returns -1.
#pragma once

struct lua_State;

namespace osprey::lua {

// Records the closure on top of the stack under `name` in the modf table at index byName
// (the first function to claim a plain name keeps it). Leaves the stack as it was.
void addModfName(lua_State* L, int byName, const char* name);
// Pushes the KSR.x.modf closure over the modf table at index byName.
void pushModf(lua_State* L, int byName);

}  // namespace osprey::lua
