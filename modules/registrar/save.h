// KSR.registrar.save(table, flags): REGISTER processing (RFC 3261 §10.3, RFC 3327 Path,
// RFC 5626 +sip.instance/reg-id) and the reply.
#pragma once
#include <string_view>

namespace osprey::route {
struct MsgContext;
}

namespace osprey::registrar {

// flags (Kamailio's): 0x01 memory only (not written to the database), 0x02 no reply.
inline constexpr int kSaveMemoryOnly = 0x01;
inline constexpr int kSaveNoReply = 0x02;

// 1 when the request was processed (200 OK sent); -1 when it was refused or failed (the error
// reply was sent, and recorded with setError for sl_reply_error).
int save(route::MsgContext& mc, std::string_view table, int flags) noexcept;

}  // namespace osprey::registrar
