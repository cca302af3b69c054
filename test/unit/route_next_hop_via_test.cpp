// route::nextHopFromVia for replies over stream transports: the connection id from ";i=" (64
// bits: a slot and a 32-bit generation, core/net/tcp_conn_table.h) and whether the port it
// resolves to is the connection's own (rport) or only the sent-by's.
#include <gtest/gtest.h>

#include <string>

#include "core/net/endpoint.h"
#include "core/route/next_hop.h"
#include "core/sip/msg.h"
#include "mem/pkg.h"

namespace osprey::route {
namespace {

[[maybe_unused]] const bool kPkgReady = mem::pkgInit(8u << 20);

struct Hop {
    NextHopError err = NextHopError::Ok;
    net::Destination dest;
};

Hop hopFor(const std::string& via) {
    const std::string text = "SIP/2.0 200 OK\r\nVia: " + via +
                             "\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2"
                             "\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    sip::SipMsg msg;
    Hop h;
    EXPECT_TRUE(sip::parseMsg(msg, text)) << text;
    EXPECT_NE(msg.topVia, nullptr);
    if (msg.topVia != nullptr) h.err = nextHopFromVia(*msg.topVia, &h.dest);
    return h;
}

TEST(RouteNextHopVia, SixtyFourBitConnectionIdWithRportChecksThePort) {
    // Generation 0xfffffffe of slot 5: above 2^32.
    const net::ConnId id = (net::ConnId{0xfffffffe} << 20) | 5;
    Hop h = hopFor(
        "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1;rport=40000;received=198.51.100.2"
        ";i=" +
        std::to_string(id));
    ASSERT_EQ(h.err, NextHopError::Ok);
    EXPECT_EQ(h.dest.connId, id);
    EXPECT_EQ(net::toString(h.dest.addr), "198.51.100.2:40000");
    EXPECT_TRUE(h.dest.connPortKnown) << "rport is the connection's port";
}

TEST(RouteNextHopVia, WithoutRportOnlyTheAddressIsKnown) {
    Hop h = hopFor("SIP/2.0/TCP 192.0.2.1:5070;branch=z9hG4bK1;i=1048577");
    ASSERT_EQ(h.err, NextHopError::Ok);
    EXPECT_EQ(h.dest.connId, 1048577u);
    EXPECT_EQ(net::toString(h.dest.addr), "192.0.2.1:5070");
    EXPECT_FALSE(h.dest.connPortKnown) << "a sent-by port need not be the connection's";
}

TEST(RouteNextHopVia, MalformedIdsAreIgnored) {
    for (const char* bad : {"i", "i=12a", "i=-1", "i=99999999999999999999", "i=1.5"}) {
        Hop h = hopFor(std::string("SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1;") + bad);
        ASSERT_EQ(h.err, NextHopError::Ok) << bad;
        EXPECT_EQ(h.dest.connId, 0u) << bad;
    }
    Hop udp = hopFor("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;i=7");
    EXPECT_EQ(udp.dest.connId, 0u) << "UDP has no connections";
}

}  // namespace
}  // namespace osprey::route
