// Stateless forwarding across transports with the real osprey: TCP to UDP (the UDP callee's
// reply is routed by a UDP worker and still goes back over the caller's connection), UDP to
// TCP (osprey opens the connection to the callee, reuses it, and the reply read from it by a
// TCP worker goes back over UDP), and TCP to TCP; our Via names the transport it was sent over.
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

// Forwards every request to `dst` ($du) and answers failures with sl_reply_error.
std::string forwardTo(const std::string& dst) {
    return R"(
function ksr_request_route()
    KSR.setdsturi(")" +
           dst + R"(")
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)";
}

SipRouterOptions tcpOptions() {
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_children = 2;\n";
    return o;
}

TEST(TcpForward, TcpCallerToUdpCalleeAndTheReplyBackOverTheConnection) {
    SipPeer uas;
    ASSERT_TRUE(uas.ok());
    SipRouter router(forwardTo("sip:127.0.0.1:" + std::to_string(uas.port())), tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn caller(router.tcpPort());
    ASSERT_TRUE(caller.ok());
    for (int i = 0; i < 3; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        // A sent-by that is not the source and no rport: only the connection finds the caller.
        r.via = "SIP/2.0/TCP 192.0.2.99:5099;branch=" + uniqueToken("z9hG4bK");
        ASSERT_TRUE(caller.send(buildTcpRequest(caller, r)));
        auto req = uas.receiveCall(r.callId, 3000);
        ASSERT_TRUE(req) << router.log();
        std::vector<std::string> vias = req->vias();
        ASSERT_EQ(vias.size(), 2u) << req->text();
        EXPECT_EQ(
            vias[0].rfind(
                "SIP/2.0/UDP 127.0.0.1:" + std::to_string(router.port()) + ";branch=z9hG4bK", 0),
            0u)
            << vias[0];
        EXPECT_EQ(req->viaParam(1, "received"), "127.0.0.1");
        EXPECT_TRUE(req->viaParam(1, "i").has_value()) << "the connection id: " << vias[1];
        // The reply reaches osprey over UDP, so a UDP worker routes it.
        ASSERT_TRUE(uas.sendBack(buildResponse(*req, 200, "OK"), *req));
        auto resp = caller.receiveCall(r.callId, 3000);
        ASSERT_TRUE(resp) << router.log();
        EXPECT_EQ(resp->status(), 200);
        ASSERT_EQ(resp->vias().size(), 1u) << resp->text();
        EXPECT_EQ(resp->vias()[0], vias[1]);
    }
}

TEST(TcpForward, UdpCallerToTcpCalleeOverOneOutgoingConnection) {
    SipTcpListener uas;
    ASSERT_TRUE(uas.ok());
    SipPeer caller;
    SipRouter router(forwardTo("sip:127.0.0.1:" + std::to_string(uas.port()) + ";transport=tcp"),
                     tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    std::unique_ptr<SipTcpConn> in;
    for (int i = 0; i < 3; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(caller.sendTo(buildRequest(caller, r), router.port()));
        if (!in) {
            in = uas.accept(3000);
            ASSERT_TRUE(in) << "osprey did not connect\n" << router.log();
        }
        auto req = in->receiveCall(r.callId, 3000);
        ASSERT_TRUE(req) << router.log();
        std::vector<std::string> vias = req->vias();
        ASSERT_EQ(vias.size(), 2u);
        EXPECT_EQ(
            vias[0].rfind(
                "SIP/2.0/TCP 127.0.0.1:" + std::to_string(router.tcpPort()) + ";branch=z9hG4bK", 0),
            0u)
            << vias[0];
        EXPECT_EQ(req->viaParam(1, "rport"), std::to_string(caller.port()));
        // The callee answers over the connection osprey opened; a TCP worker routes it.
        ASSERT_TRUE(in->send(buildResponse(*req, 200, "OK")));
        auto resp = caller.receiveCall(r.callId, 3000);
        ASSERT_TRUE(resp) << router.log();
        EXPECT_EQ(resp->status(), 200);
        EXPECT_EQ(resp->vias().size(), 1u);
    }
    EXPECT_FALSE(uas.accept(200)) << "later requests reuse the first connection";
}

TEST(TcpForward, RequestUriWithTransportTcp) {
    SipTcpListener uas;
    ASSERT_TRUE(uas.ok());
    SipPeer caller;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1:" + std::to_string(uas.port()) + ";transport=tcp";
    ASSERT_TRUE(caller.sendTo(buildRequest(caller, r), router.port()));
    auto in = uas.accept(3000);
    ASSERT_TRUE(in) << router.log();
    auto req = in->receiveCall(r.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->vias()[0].rfind("SIP/2.0/TCP ", 0), 0u);
}

TEST(TcpForward, TcpCallerToTcpCallee) {
    SipTcpListener uas;
    ASSERT_TRUE(uas.ok());
    SipRouter router(forwardTo("sip:127.0.0.1:" + std::to_string(uas.port()) + ";transport=tcp"),
                     tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn caller(router.tcpPort());
    ASSERT_TRUE(caller.ok());
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(caller.send(buildTcpRequest(caller, r)));
    auto in = uas.accept(3000);
    ASSERT_TRUE(in) << router.log();
    auto req = in->receiveCall(r.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    ASSERT_EQ(req->vias().size(), 2u);
    EXPECT_EQ(req->vias()[0].rfind("SIP/2.0/TCP 127.0.0.1:" + std::to_string(router.tcpPort()), 0),
              0u);
    ASSERT_TRUE(in->send(buildResponse(*req, 180, "Ringing") + buildResponse(*req, 200, "OK")));
    auto ringing = caller.receiveCall(r.callId, 3000);
    ASSERT_TRUE(ringing) << router.log();
    EXPECT_EQ(ringing->status(), 180);
    auto ok = caller.receiveCall(r.callId, 3000);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);
}

TEST(TcpForward, UnreachableTcpCalleeIsLoggedAndNotRemembered) {
    SipPeer caller;
    uint16_t port;
    {
        SipTcpListener probe;  // a port nobody listens on once this closes
        port = probe.port();
    }
    SipRouter router(forwardTo("sip:127.0.0.1:" + std::to_string(port) + ";transport=tcp"),
                     tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(caller.sendTo(buildRequest(caller, r), router.port()));
    EXPECT_NE(router.process().waitForLog("connect failed: Connection refused", 3000),
              std::string::npos)
        << router.log();
    // Once the callee is there, the next request reaches it: the failed connection was
    // dropped from the table, not kept as the way to that address.
    SipTcpListener uas(AF_INET, port);
    ASSERT_TRUE(uas.ok());
    SipRequest again;
    again.ruri = "sip:bob@example.com";
    ASSERT_TRUE(caller.sendTo(buildRequest(caller, again), router.port()));
    auto in = uas.accept(3000);
    ASSERT_TRUE(in) << router.log();
    auto req = in->receiveCall(again.callId, 3000);
    ASSERT_TRUE(req) << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
