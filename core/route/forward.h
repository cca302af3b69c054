// Stateless forwarding (RFC 3261 §16.11): requests to their next hop with our Via on top,
// responses back along their Via path with our Via taken off.
//
// A request goes to `uri` when given (KSR.forward_uri), else to $du, else to the Request-URI
// (as possibly rewritten). The copy is the request's main branch built by route::buildRequest
// (out_request.h, docs/forwarding.md) with a Via branch computed so that retransmissions get
// the same one (branch.h). Forwarding twice sends two copies, each with the R-URI and $du of
// the moment.
//
// A response is forwarded only when its top Via is ours (sent-by is one of our addresses);
// that Via is removed and the response goes where the next Via says (RFC 3261 §18.2.2).
#pragma once
#include <string_view>

namespace osprey::route {

struct MsgContext;

// True when sent (handed to the transport). On failure records the error for
// sl_reply_error (478 unresolvable destination, 503 no DNS answer within dns_stateless_wait,
// 477 send failure, 500 otherwise). A next hop that is a name not in the DNS cache is waited
// for up to dns_stateless_wait ms (in a SIP worker, no lock held); the cache answers repeats.
bool forwardRequest(MsgContext& mc, std::string_view uri = {});
bool forwardReply(MsgContext& mc);

}  // namespace osprey::route
