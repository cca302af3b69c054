// Stateless forwarding (RFC 3261 §16.11): requests to their next hop with our Via on top,
// responses back along their Via path with our Via taken off.
//
// A request goes to `uri` when given (KSR.forward_uri), else to $du, else to the Request-URI
// (as possibly rewritten). The copy carries the script's edits (MsgContext::builder), the
// rewritten Request-URI, received/rport on the previous hop's Via (RFC 3261 §18.2.1, RFC 3581;
// rport also when force_rport() was called) and a new top Via whose branch is computed so
// that retransmissions get the same one (branch.h). Forwarding twice sends two copies.
// Each copy leaves from MsgContext::forceSocket when it fits the destination (else the
// socket the request came in on, else one of the right transport and family) and carries the
// lines of the message's copy hooks (copy_hooks.h: rr's Record-Route) for that socket.
//
// A response is forwarded only when its top Via is ours (sent-by is one of our addresses);
// that Via is removed and the response goes where the next Via says (RFC 3261 §18.2.2).
#pragma once
#include <string_view>

#include "core/sip/builder_output.h"

namespace osprey::route {

struct MsgContext;

// True when sent (handed to the transport). On failure records the error for
// sl_reply_error (478 unresolvable destination, 477 send failure, 500 otherwise).
bool forwardRequest(MsgContext& mc, std::string_view uri = {});
bool forwardReply(MsgContext& mc);

// The received/rport edits on the previous hop's Via that every forwarded copy carries (done
// once per message; tm builds its branches with it too).
sip::BuildError fixTopVia(MsgContext& mc);

}  // namespace osprey::route
