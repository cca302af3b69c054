// Where a message goes next, as a net::Destination: for a request, from a SIP URI ($du or the
// Request-URI: host, port, transport parameter, sips); for a response, from a Via (RFC 3261
// §18.2.2 with RFC 3581 rport). No DNS SRV/NAPTR yet (RFC 3263): a name is resolved to its
// A/AAAA address and the port defaults to 5060 (5061 for TLS).
#pragma once
#include <string_view>

#include "core/net/endpoint.h"

namespace osprey::sip {
struct ViaBody;
}

namespace osprey::route {

enum class NextHopError : uint8_t {
    Ok,
    BadUri,         // not a sip:/sips: URI that parses
    BadTransport,   // a transport parameter or Via protocol we cannot send over
    Unresolvable,   // the host has no address
};

const char* nextHopErrorText(NextHopError e);

// A numeric host's answer never changes, so the last such URI is remembered per process:
// scripts send most requests to the same $du.
NextHopError nextHopFromUri(std::string_view uri, net::Destination* out);

// A sip: or sips: URI that parses (what $du may hold); the same cache answers repeats.
bool isSipUri(std::string_view uri);

// The address a response goes to per its Via: received (else sent-by host), rport's value
// (else the sent-by port, else 5060/5061); over TCP/TLS also the connection named by the Via's
// ";i=" parameter (the stream sender checks it still leads to that address).
NextHopError nextHopFromVia(const sip::ViaBody& via, net::Destination* out);

}  // namespace osprey::route
