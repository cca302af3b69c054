// Where in the script the running KSR function was called from ("osprey.lua:42"), for log
// lines about bad arguments that are not worth a Lua error (KSR.pv.get("$nope") logs and
// returns nil, as Kamailio does). Uses this process's engine; "?" outside a route.
#pragma once
#include <cstddef>
#include <string_view>

namespace osprey::lua {

// Writes into buf (cap bytes, NUL-terminated) and returns the text.
std::string_view scriptLocation(char* buf, size_t cap) noexcept;

}  // namespace osprey::lua
