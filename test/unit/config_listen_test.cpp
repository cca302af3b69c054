// Listen address syntax: "[proto:]host[:port]" with bracketed IPv6 and per-protocol default
// ports; anything else is refused with a reason.
#include <gtest/gtest.h>

#include "core/config/listen_addr.h"

namespace osprey::config {
namespace {

TEST(ConfigListen, AcceptsTheDocumentedForms) {
    struct Case {
        const char* in;
        const char* normalised;
        HostType type;
    } cases[] = {
        {"udp:127.0.0.1:5060", "udp:127.0.0.1:5060", HostType::Ipv4},
        {"TCP:10.1.2.3:5080", "tcp:10.1.2.3:5080", HostType::Ipv4},
        {"udp:[::1]:5060", "udp:[::1]:5060", HostType::Ipv6},
        {"tls:[2001:db8::7]", "tls:[2001:db8::7]:5061", HostType::Ipv6},
        {"tls:sip.example.com", "tls:sip.example.com:5061", HostType::Name},
        {"127.0.0.1", "udp:127.0.0.1:5060", HostType::Ipv4},
        {"localhost:5062", "udp:localhost:5062", HostType::Name},
        {"abc:5062", "udp:abc:5062", HostType::Name},
        {"tcp:*:5060", "tcp:0.0.0.0:5060", HostType::Ipv4},
        {"udp:[::]:65535", "udp:[::]:65535", HostType::Ipv6},
    };
    for (const Case& c : cases) {
        ListenAddr a;
        std::string why;
        ASSERT_TRUE(parseListenAddr(c.in, a, &why)) << c.in << ": " << why;
        EXPECT_EQ(a.text(), c.normalised) << c.in;
        EXPECT_EQ(a.hostType, c.type) << c.in;
    }
}

TEST(ConfigListen, RefusesWithAReason) {
    struct Case {
        const char* in;
        const char* why;
    } cases[] = {
        {"", "missing host"},
        {"udp:", "missing host"},
        {"sctp:1.2.3.4:5060", "unknown protocol"},
        {"udpx:host", "unknown protocol"},
        {"udp:1.2.3.4:", "missing port"},
        {"udp:1.2.3.4:0", "invalid port"},
        {"udp:1.2.3.4:65536", "invalid port"},
        {"udp:1.2.3.4:50a", "invalid port"},
        {"udp:1.2.3:5060", "invalid IPv4"},
        {"udp:256.0.0.1", "invalid IPv4"},
        {"udp:[::1", "closing ']'"},
        {"udp:[::g]:5060", "invalid IPv6"},
        {"udp:[]:5060", "invalid IPv6"},
        {"udp:[::1]5060", "unexpected text after ']'"},
        {"udp:::1", "brackets"},
        {"udp:bad_host:5060", "invalid host name"},
        {"udp:-x.example", "invalid host name"},
    };
    for (const Case& c : cases) {
        ListenAddr a;
        std::string why;
        EXPECT_FALSE(parseListenAddr(c.in, a, &why)) << c.in;
        EXPECT_NE(why.find(c.why), std::string::npos) << c.in << ": " << why;
    }
}

}  // namespace
}  // namespace osprey::config
