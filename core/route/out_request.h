// The one way a request leaves the router (docs/forwarding.md): stateless forwarding and every
// tm branch turn "this request, this branch, this Via branch" into an outgoing copy here.
//
//     route::OutRequest out;
//     if (!route::buildRequest(mc, route::mainBranch(mc), viaBranch, &out)) return false;
//     net::sendDeferred(out.dest, out.spans.iov, out.spans.count);   // or copy to shm first
//
// A copy is: the request line with the branch's Request-URI, the copy hooks' lines for the
// outgoing socket (copy_hooks.h), a Route line for the branch's Path (RFC 3327), then the
// message as the script edited it with our Via (that socket's sent-by and viaBranch) right
// above the received top Via (MsgContext::builder(), with received/rport on the previous
// hop's Via, RFC 3261 §18.2.1 and RFC 3581). Nothing is recorded on the message per copy, so
// copies for different branches (or one forwarded twice) are built the same way, each with
// its branch's values.
#pragma once
#include <string_view>

#include "core/net/endpoint.h"
#include "core/sip/builder_output.h"

namespace osprey::net {
struct ListenSocket;
}
namespace osprey::dns {
struct Answer;
}

namespace osprey::route {

struct MsgContext;
struct Branch;

// What differs between the copies of one request. Views into the message's arena (or static).
struct BranchSpec {
    std::string_view uri;     // Request-URI of this copy
    std::string_view dstUri;  // $du: next hop instead of uri's host (empty: uri)
    std::string_view path;    // Route set for this destination (RFC 3327 Path), comma separated
    int forceSocket = -1;     // listen socket to leave from (-1: MsgContext::forceSocket, ...)
    uint32_t bflags = 0;      // the branch's flags (what a branch route sees as KSR.isbflagset)

    // The URI the next hop is resolved from.
    std::string_view nextHopUri() const { return dstUri.empty() ? uri : dstUri; }
};

// The request's own branch: $ru (as rewritten), $du and the R-URI's Path.
BranchSpec mainBranch(const MsgContext& mc);
// An entry of the destination set (branch_set.h).
BranchSpec branchSpec(const Branch& b);

struct OutRequest {
    net::Destination dest;                   // where it goes (socket chosen)
    // The next hop is a name still being resolved. With `targets` given to buildRequest the
    // copy is built for dest.proto and dest.socket and dest.addr is not set yet; without, the
    // build failed (503) and may be tried again once the answer is in.
    bool dnsPending = false;
    const net::ListenSocket* out = nullptr;  // the socket it leaves from
    sip::OutSpans spans;                     // the copy; spans.bytes is its length
};

// Builds the copy of mc's request for branch `spec` with our Via carrying `viaBranch`.
// False when it cannot be sent; the reason is recorded for sl_reply_error (mc.setError):
// 478 unresolvable destination, 503 no DNS answer (yet), 500 a bad next hop, no socket or a
// build failure. The spans live in mc.msg.arena until the message is reset.
// With `targets` (tm) a name not resolved yet is no failure: the copy is built for the URI's
// transport over an IPv4 socket when there is one (else IPv6) and out->dnsPending is set; for
// a resolved name *targets receives every target in the order to try them.
bool buildRequest(MsgContext& mc, const BranchSpec& spec, std::string_view viaBranch,
                  OutRequest* out, dns::Answer* targets = nullptr);

}  // namespace osprey::route
