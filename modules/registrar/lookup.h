// KSR.registrar.lookup / registered / unregister.
#pragma once
#include <string_view>

namespace osprey::route {
struct MsgContext;
}

namespace osprey::registrar {

// 1: R-URI rewritten to the best binding (highest q, then the most recently refreshed), the
// others appended as branches in that order (not with append_branches = 0); Path becomes Route
// headers and $du (RFC 3327).
// -1: no unexpired binding; -3: error (unknown table, R-URI without user).
int lookup(route::MsgContext& mc, std::string_view table) noexcept;
// 1 when the R-URI's AOR has an unexpired binding, else -1.
int registered(route::MsgContext& mc, std::string_view table) noexcept;
// Removes every binding of the AOR of `uri`: 1 when some were removed, -1 none, -2 error
// (with usrloc db_mode 1 also: the removal was not confirmed by the database).
int unregister(route::MsgContext& mc, std::string_view table, std::string_view uri) noexcept;

}  // namespace osprey::registrar
