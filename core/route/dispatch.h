// The one entry every transport hands received messages to (docs/design.md §4):
//
//   drop it unparsed when a module's dropSource says its source is blocked (msg_extension.h)
//   → parse (start line, top Via) and check (basic_check.h: required headers, single
//   instances, CSeq, Request-URI, Content-Length) → a request that fails gets the parser's
//   status and reason phrase (400 "Bad CSeq: ...", 416, 505) when a reply can be routed,
//   else it is dropped; a response that fails is dropped → ksr_request_route /
//   ksr_reply_route in this process's Lua engine (a Lua error drops the message, as Kamailio
//   does for stateless handling) → responses not dropped by the script go to the modules'
//   reply handlers (msg_extension.h: tm's) and otherwise are forwarded statelessly → everything the
//   message used in pkg is freed at once.
//
// Requests are acted on from the script (KSR.forward, KSR.sl.*, tm later); a request the
// script neither forwards nor answers is dropped.
//
// Lifetime: buf must stay valid and unchanged until the message is released. Outside a send
// batch (net/send.h) that is when onMessage returns; inside one, messages stay alive (their
// outgoing spans are queued) until releaseMessages(), which the batch owner calls after
// net::endBatch().
#pragma once
#include <cstddef>

#include "core/net/endpoint.h"

namespace osprey::route {

struct MsgContext;

void onMessage(const net::RecvInfo& info, char* buf, size_t len) noexcept;
void releaseMessages() noexcept;

// Counted in the statistics framework (core/stats/core_stats.h): core:rcv_requests,
// rcv_replies (and by method / code), err_*, drop_*, bad_URIs_rcvd, bad_msg_hdr,
// osprey:script_errors.

}  // namespace osprey::route
