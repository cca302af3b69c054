// Stateless local replies to the request being routed (what KSR.sl.* and the core's own
// rejections of bad requests send): built from the request with sip::buildReply (RFC 3261
// §8.2.6: Via, From, To with a tag added, Call-ID, CSeq copied) and sent back where RFC 3261
// §18.2.2 says: over the connection it came on (stream transports), or to the source address
// (UDP) at the source port when the Via asked for rport (RFC 3581) or force_rport() was called,
// else at the Via's port.
#pragma once
#include <string_view>

#include "core/net/endpoint.h"

namespace osprey::route {

struct MsgContext;

// reason and extraHeaders are copied (the reply leaves when the receive batch is flushed).
// False when there is nothing to reply to (a response, an ACK, a dropped message) or the
// reply could not be built or sent (logged).
bool sendReply(MsgContext& mc, int status, std::string_view reason,
               std::string_view extraHeaders = {});

// The reply for the last recorded error (MsgContext::setError), 500 when none.
bool sendErrorReply(MsgContext& mc);

// Where a reply to the request goes (the rules above); for a module that sends it later.
net::Destination replyDestination(MsgContext& mc);

}  // namespace osprey::route
