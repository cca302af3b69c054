// Record-Route (RFC 3261 §16.6 step 4, RFC 5658 double Record-Route) as Kamailio's rr module
// writes it:
//
//     Record-Route: <sip:HOST[:PORT][;transport=tcp][;r2=on];lr[=on][;ftag=FROMTAG][PARAMS]>
//
// The URI names the interface the request leaves from, which is only known per copy, so
// record_route() only marks the message; the line is written by a copy hook
// (core/route/copy_hooks.h) when the forwarder has chosen the socket. When the copy leaves
// from another interface than the request came in on (transport, address or port) and
// enable_double_rr is 1 (2: always), two lines are written, both with ";r2=on": first the
// outgoing interface (the callee's first Route), then the incoming one (the caller's first
// Route, since the caller reverses the set, RFC 3261 §12.1.2). The port is left out when it
// is 5060, as Kamailio does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/net/endpoint.h"

namespace osprey::net {
struct ListenSocket;
}
namespace osprey::route {
struct MsgContext;
}

namespace osprey::rr {

struct RrOptions {
    bool fullLr = false;         // enable_full_lr: ";lr=on" instead of ";lr"
    bool appendFromTag = false;  // append_fromtag: ";ftag=<From tag>"
    int doubleRr = 1;            // enable_double_rr: 0 never, 1 when interfaces differ, 2 always
};

struct RrSide {
    std::string_view host;  // as in a URI ("127.0.0.1", "[::1]", "proxy.example.com")
    uint16_t port = 0;
    net::Proto proto = net::Proto::Udp;
};

// One "Record-Route: <...>\r\n" line into out; the length, or 0 when cap is too small.
size_t formatRecordRoute(const RrSide& side, bool r2, const RrOptions& o, std::string_view ftag,
                         std::string_view params, char* out, size_t cap);

// Two entries for this copy? (enable_double_rr 1: another transport, address or port.)
bool wantDoubleRr(const net::ListenSocket* in, const net::ListenSocket* out, int mode);

// Extra URI parameters must be ";name[=value]..." with nothing that ends the URI or the line.
bool validRrParams(std::string_view params);

// KSR.rr.record_route() / record_route_params(params): 1, or -1 (not a request, second call,
// bad params, out of memory).
int recordRoute(route::MsgContext& mc, const RrOptions& o, std::string_view params);
// KSR.rr.add_rr_param(param): for this message's Record-Route, before or after record_route().
int addRrParam(route::MsgContext& mc, const RrOptions& o, std::string_view param);

}  // namespace osprey::rr
