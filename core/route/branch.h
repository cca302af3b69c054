// The branch parameter of the Via a stateless proxy adds (RFC 3261 §16.11): the same for a
// retransmission of a request (so the next hop sees the same transaction), different for
// different transactions, and equal for a CANCEL or non-2xx ACK and the INVITE they belong to.
//
// First component: a hash of the received top Via branch when it carries the RFC 3261 magic
// cookie (unique per transaction already, equal for CANCEL/ACK and their INVITE); otherwise a
// hash of the top Via, To tag, From tag, Call-ID, CSeq number (not method) and Request-URI.
// Second component: a hash of what decided the routing (the next-hop URI), so two branches of
// one request differ. Both are salted with a value drawn once in the master, so every worker
// computes the same branch for the same request.
#pragma once
#include <cstddef>
#include <string_view>

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::route {

// "z9hG4bK" + "sl" + 16 + 8 hex digits.
inline constexpr size_t kStatelessBranchLen = 7 + 2 + 16 + 8;

// Writes the branch to out (kStatelessBranchLen octets) and returns it as a view.
std::string_view statelessBranch(sip::SipMsg& msg, std::string_view nextHop, char* out);

}  // namespace osprey::route
