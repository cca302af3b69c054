// Where a message goes next, as a net::Destination: for a request, from a SIP URI ($du or the
// Request-URI: host, port, transport parameter, sips); for a response, from a Via (RFC 3261
// §18.2.2 with RFC 3581 rport).
//
// A numeric host is the fast path and never touches the DNS. A name goes through the shared
// DNS cache (core/dns/dns_cache.h, docs/dns.md) per RFC 3263: an explicit port means A/AAAA
// only; a transport parameter (or sips:) means SRV for that transport; neither means NAPTR
// when dns_try_naptr is on, else SRV _sip._udp; SRV falls back to A/AAAA with 5060/5061. A
// lookup never blocks: on a miss the query is queued for the DNS process and the caller gets
// DnsPending (tm parks the branch, stateless forwarding waits briefly with awaitNextHop).
#pragma once
#include <string_view>

#include "core/dns/dns_cache.h"
#include "core/net/endpoint.h"

namespace osprey::sip {
struct ViaBody;
}

namespace osprey::route {

enum class NextHopError : uint8_t {
    Ok,
    BadUri,        // not a sip:/sips: URI that parses
    BadTransport,  // a transport parameter or Via protocol we cannot send over
    Unresolvable,  // the host has no address (NXDOMAIN, no records: 478)
    DnsPending,    // the name's resolution is under way; out->proto is set, out->addr not
    DnsFailed,     // no answer (timeout, server failure, no room in the cache: 503)
};

// What a request to a name wants from the DNS besides the first target.
struct NextHopDns {
    dns::Waiter* waiter = nullptr;  // attached (with onDone) when the resolution is pending
    timer::TimerHandler onDone = nullptr;
    dns::Answer* answer = nullptr;  // out: every target, in the order they are to be tried
};

const char* nextHopErrorText(NextHopError e);

// A numeric host's answer never changes, so the last such URI is remembered per process:
// scripts send most requests to the same $du.
// For a name, *out is the first target this process can send to (a listen socket of its
// transport and family exists), in the order the cache keeps, shuffled by weight within a
// priority when dns_srv_lb is on.
NextHopError nextHopFromUri(std::string_view uri, net::Destination* out,
                            const NextHopDns* dns = nullptr);

// Stateless forwarding, outside every lock, after a build found the name not resolved yet:
// waits up to waitMs for the DNS process's answer, so that nextHopFromUri then finds it.
void awaitNextHop(std::string_view uri, uint32_t waitMs);

// Whether a target can be used by a copy built for `proto` and a socket of `family` (tm: the
// copy was built before the name resolved).
bool targetFits(const dns::Target& t, net::Proto proto, int family);

// A sip: or sips: URI that parses (what $du may hold); the same cache answers repeats.
bool isSipUri(std::string_view uri);

// The address a response goes to per its Via: received (else sent-by host), rport's value
// (else the sent-by port, else 5060/5061); over TCP/TLS also the connection named by the Via's
// ";i=" parameter (the stream sender checks it still leads to that address). A sent-by name
// (no received=) is looked up in the DNS cache only: a miss queues it and fails this reply.
NextHopError nextHopFromVia(const sip::ViaBody& via, net::Destination* out);

}  // namespace osprey::route
