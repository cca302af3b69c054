// NAT detection (Kamailio's nat_uac_test and is_rfc1918): does this message come from behind a
// NAT? Each test bit looks at one sign; nat_uac_test is true when any selected test is.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/net/sock_addr.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::nathelper {

// Kamailio's nat_uac_test bits (its documentation lists them with these values).
enum NatTest : uint32_t {
    kContactPrivate = 0x01,  // the Contact URI's host is a private IPv4 address
    kViaReceived = 0x02,     // the top Via's sent-by is not the source address (RFC 3261 §18.2.1)
    kViaPrivate = 0x04,      // the top Via's sent-by is a private IPv4 address
    kSdpPrivate = 0x08,      // the SDP connection address of some stream is private
    kViaPort = 0x10,         // the source port is not the top Via's (5060 when absent)
    kSourcePrivate = 0x20,   // the source address itself is private
    kWebSocket = 0x40,       // arrived over WebSocket (Osprey has no WS transport: never true)
    kContactPort = 0x80,     // the source port is not the Contact URI's (5060 when absent)
    kSdpSource = 0x100,      // the SDP session c= address is not the source address
    kDestination = 0x200,    // the $du host:port differs from the R-URI's (replies: 2nd Via)
};

// Private IPv4 ranges as Kamailio counts them: RFC 1918, RFC 6598 (100.64/10, carrier-grade
// NAT), RFC 7335 192.0.0.0/29 and, with nat_addr_mode 1, the rest of 192.0.0.0/24.
// 1 private, 0 public, -1 not an IPv4 address.
int privateIpv4(std::string_view text, bool extra);
bool privateAddr(const net::SockAddr& a, bool extra);

// 1 when one of `tests` holds, -1 when none does.
int natUacTest(route::MsgContext& mc, uint32_t tests, bool extra);

}  // namespace osprey::nathelper
