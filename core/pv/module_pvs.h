// Pseudo-variables a module provides ($rtpstat from rtpengine, ...): the module registers a
// getter under its Kamailio name in its init (master, before fork, so every process resolves
// the same names), and parsePvName resolves "$name" and "$name(arg)" to it after the core's own
// names. The core never knows the module: it calls the getter it was given.
#pragma once
#include <string_view>

#include "core/lua/lua_value.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::pv {

// `arg` is the text inside the parentheses ("" for the plain form). The value follows the
// rules of pv_access.h (a view valid at least until the next call in this process).
using ModulePvGetter = lua::PvValue (*)(route::MsgContext& mc, std::string_view arg);

inline constexpr int kMaxModulePvs = 32;

// `name` (without '$') must outlive the process (a literal). False when the name is taken or
// the table is full.
bool registerModulePv(std::string_view name, ModulePvGetter get);
// The slot of a registered name, or -1.
int findModulePv(std::string_view name);
ModulePvGetter modulePvGetter(int slot);

}  // namespace osprey::pv
