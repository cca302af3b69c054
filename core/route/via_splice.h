// Puts our Via line into a built request (the spans MsgBuilder::build produced), right before
// the received message's first Via line. Kept out of the builder's edit list on purpose: the
// edits stay what the script asked for, and each copy sent (one per forward) gets its own Via
// (its own sent-by and branch) without rebuilding the message.
#pragma once
#include <string_view>

#include "core/sip/builder_output.h"

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::route {

// viaPrefix: "Via: SIP/2.0/UDP host:port;branch=" (net::ListenSocket::viaPrefix); the branch
// and CRLF are appended. The new spans and the line live in msg.arena. False when the received
// Via line is gone from the built copy (a script removed it) or out of memory.
bool spliceTopVia(sip::SipMsg& msg, const sip::OutSpans& built, std::string_view viaPrefix,
                  std::string_view branch, sip::OutSpans* out);

}  // namespace osprey::route
