// tm across transports: a caller over TCP, the callee over UDP. The 100 Trying, the relayed
// provisional and final replies go back over the caller's TCP connection; the UDP leg has our
// UDP Via; the caller's retransmission over TCP is absorbed. A non-INVITE whose both legs are
// TCP is freed as soon as it is answered (RFC 3261 timers J and K are 0 on reliable
// transports); over UDP it waits wt_timer.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"
#include "test/support/sip_tcp_peer.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

TEST(TmTcp, TcpCallerUdpCallee) {
    SipPeer uas;
    SipRouterOptions o = tmRouterOptions("");
    o.tcp = true;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:)" +
                         uas.hostPort() + R"(;transport=udp")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn caller(router.tcpPort());
    ASSERT_TRUE(caller.ok());
    SipRequest inv = invite();
    const std::string text = buildTcpRequest(caller, inv);
    ASSERT_TRUE(caller.send(text));
    auto trying = caller.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(trying) << router.log();
    EXPECT_EQ(trying->status(), 100);

    auto req = waitFor(uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();
    std::vector<std::string> vias = req->vias();
    ASSERT_EQ(vias.size(), 2u);
    EXPECT_EQ(vias[0].rfind("SIP/2.0/UDP ", 0), 0u) << vias[0];
    EXPECT_EQ(vias[1].rfind("SIP/2.0/TCP ", 0), 0u) << vias[1];

    ASSERT_TRUE(caller.send(text));  // a retransmission (a TCP caller should not, but may)
    EXPECT_FALSE(waitFor(uas, inv.callId, isMethod("INVITE"), 300)) << "forwarded twice";

    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    std::unique_ptr<ReceivedMsg> r;
    for (int i = 0; i < 4 && !(r && r->status() == 180); ++i)
        r = caller.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(r && r->status() == 180) << router.log();
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 200, "OK"), *req));
    for (int i = 0; i < 4 && !(r && r->status() == 200); ++i)
        r = caller.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(r && r->status() == 200) << router.log();
    EXPECT_EQ(r->vias().size(), 1u);
}

TEST(TmTcp, AnsweredNonInviteOverTcpDoesNotWait) {
    SipTcpListener uas;
    ASSERT_TRUE(uas.ok());
    SipRouterOptions o = tmRouterOptions("wt_timer = 600000;", 1);
    o.tcp = true;
    o.controlSocket = true;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:127.0.0.1:)" +
                         std::to_string(uas.port()) +
                         R"(;transport=tcp")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    StatsReader stats;
    auto inUse = [](const StatsReader::Values& v) {
        return StatsReader::get(v, "tmx:inuse_transactions");
    };

    // Over UDP from the caller: the answered OPTIONS stays for wt_timer (10 minutes here).
    SipPeer udpCaller;
    SipRequest viaUdp;
    viaUdp.ruri = "sip:bob@example.com";
    ASSERT_TRUE(udpCaller.sendTo(buildRequest(udpCaller, viaUdp), router.port()));
    std::unique_ptr<SipTcpConn> leg = uas.accept(3000);
    ASSERT_TRUE(leg) << router.log();
    auto req = leg->receiveCall(viaUdp.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(leg->send(buildResponse(*req, 200, "OK")));
    auto ok = waitFor(udpCaller, viaUdp.callId, isStatus(200));
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(inUse(stats.read(router.process())), 1) << "waits to absorb retransmissions";

    // TCP both ways: nothing retransmits, so it goes at once.
    SipTcpConn caller(router.tcpPort());
    ASSERT_TRUE(caller.ok());
    SipRequest viaTcp;
    viaTcp.ruri = "sip:bob@example.com";
    ASSERT_TRUE(caller.send(buildTcpRequest(caller, viaTcp)));
    req = leg->receiveCall(viaTcp.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(leg->send(buildResponse(*req, 200, "OK")));
    ok = caller.receiveCall(viaTcp.callId, 3000);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);
    const StatsReader::Values v = stats.waitFor(
        router.process(), [&](const StatsReader::Values& v) { return inUse(v) == 1; }, 5000);
    EXPECT_EQ(inUse(v), 1) << "only the UDP one is left";
    EXPECT_EQ(StatsReader::get(v, "tmx:2xx_transactions"), 2);
}

TEST(TmTcp, AckOfANegativeReplyOverTcpEndsTheTransactionAtOnce) {
    SipPeer uas;
    SipRouterOptions o = tmRouterOptions("", 1);
    o.tcp = true;
    o.controlSocket = true;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_ACK() then
        KSR.tm.t_check_trans()
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:)" +
                         uas.hostPort() +
                         R"(;transport=udp")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn caller(router.tcpPort());
    ASSERT_TRUE(caller.ok());
    SipRequest inv = invite();
    ASSERT_TRUE(caller.send(buildTcpRequest(caller, inv)));
    auto req = waitFor(uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 486, "Busy Here"), *req));
    std::unique_ptr<ReceivedMsg> busy;
    for (int i = 0; i < 4 && !(busy && busy->status() == 486); ++i)
        busy = caller.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(busy && busy->status() == 486) << router.log();

    // The ACK (same branch, the 486's To tag): timer I is 0 over TCP (RFC 3261 §17.2.1), so
    // the transaction goes at once rather than after T4 (5 s).
    SipRequest ack = inv;
    ack.method = "ACK";
    ack.cseqMethod = "";
    ack.to = busy->header("To");
    ASSERT_TRUE(caller.send(buildTcpRequest(caller, ack)));
    StatsReader stats;
    const StatsReader::Values v = stats.waitFor(
        router.process(),
        [](const StatsReader::Values& v) {
            return StatsReader::get(v, "tmx:inuse_transactions") == 0;
        },
        3000);
    EXPECT_EQ(StatsReader::get(v, "tmx:inuse_transactions"), 0) << router.log();
    EXPECT_EQ(StatsReader::get(v, "tmx:4xx_transactions"), 1);
}

}  // namespace
}  // namespace osprey::testsupport
