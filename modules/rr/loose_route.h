// loose_route (RFC 3261 §16.4, §16.12, RFC 5658) as Kamailio's rr module does it:
//
//  - no Route header: -1.
//  - the Request-URI is this proxy and the request is in a dialog (To tag): the previous hop
//    was a strict router that put our Record-Route URI there (§16.4). Our second entry of a
//    double Record-Route on top is dropped; then the next Route is a strict router (no ;lr):
//    it becomes the Request-URI and is removed; or a loose router: it becomes $du, and the
//    last Route (the remote target the strict router moved there) becomes the Request-URI
//    and is removed. 1.
//  - else, the top Route is this proxy: it is removed, and the next one too when the top
//    carries r2=on and the next is also this proxy (double Record-Route; copies then leave
//    from the interface that entry names). No Route left: 1 (the Request-URI is the next
//    hop), or -3 for an initial request (a preloaded route that only named us).
//  - the next Route (or the top one, when it is not us): a loose router becomes $du (its
//    header is kept), 1; a strict router (§16.6 step 6 / §16.12) becomes the Request-URI,
//    the old Request-URI is appended as the last Route, and that entry is removed, 1.
//  - -1 on errors (a Route that does not parse, a non-SIP next hop, a rewrite that fails).
//
// The URI parameters of our own top Route (";lr;ftag=...;x=y") are remembered for
// check_route_param and is_direction.
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::sip {
struct SipUri;
}
namespace osprey::route {
struct MsgContext;
}

namespace osprey::rr {

struct LooseRouteResult {
    int code = -1;
    bool ours = false;           // the top Route was ours
    std::string_view ownParams;  // ";" + params of our top Route; empty when it was not ours
};

LooseRouteResult looseRoute(route::MsgContext& mc, bool doubleRr);

// A Route URI that names this proxy: host and port per route::isMyself and, when it has a
// transport parameter, a listen socket of that transport exists.
bool isMyRouteUri(const sip::SipUri& uri);

// The listen socket a Route URI of ours names (transport, address, port), -1 when none does.
int socketForUri(const sip::SipUri& uri);

}  // namespace osprey::rr
