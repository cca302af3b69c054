// Reading and writing pseudo-variables of the message being routed (Kamailio semantics):
// values are views into the message, its arena or the process's $var table, valid until the
// message is reset or the variable set again — KSR.pv.get copies them into Lua at once.
// Nothing here allocates from the system heap.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/lua/lua_value.h"
#include "core/pv/pv_name.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::pv {

// nil (monostate) is $null: absent header, no user part, $du not set, reply-only pv on a request.
lua::PvValue pvGet(route::MsgContext& mc, const PvSpec& spec);

// False when the pv is read-only, the value does not fit it (not a URI, ...) or memory ran out.
bool pvSetStr(route::MsgContext& mc, const PvSpec& spec, std::string_view value);
bool pvSetInt(route::MsgContext& mc, const PvSpec& spec, int64_t value);
// $du: no destination; $rU: no user part; $var: 0 (Kamailio's $var is never $null).
bool pvUnset(route::MsgContext& mc, const PvSpec& spec);

}  // namespace osprey::pv
