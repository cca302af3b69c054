// tm end to end with the real osprey on loopback: 100 Trying for INVITE at once, replies
// relayed, retransmissions absorbed (one forwarded copy for a burst of duplicates, the last
// reply resent), ACK for a negative reply absorbed, 2xx and its ACK end to end, t_reply.
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

const char* kModules =
    "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"tmx\"; },"
    " { name = \"tm\"; params = { fr_timer = 1500; fr_inv_timer = 3000; wt_timer = 2000; }; }";

SipRouterOptions tmOptions(unsigned children = 2) {
    SipRouterOptions o;
    o.children = children;
    o.modules = kModules;
    return o;
}

// Stateful proxy to the UAS port (the shape of bench/kamailio/stateful.lua without rr).
std::string statefulScript(uint16_t uasPort) {
    return R"(
function ksr_request_route()
    if KSR.maxfwd.process_maxfwd(10) < 0 then
        KSR.sl.send_reply(483, "Too Many Hops")
        return 1
    end
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() else KSR.sl.send_reply(481, "Call/Transaction Does Not Exist") end
        return 1
    end
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.tmx.t_precheck_trans() > 0 then
        KSR.tm.t_check_trans()
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:127.0.0.1:)" +
           std::to_string(uasPort) + R"(")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end
)";
}

struct Fixture {
    SipPeer uac;
    SipPeer uas;
};

TEST(TmBasic, InviteGets100TryingAtOnceAndTheAnswerIsRelayed) {
    Fixture f;
    SipRouter router(statefulScript(f.uas.port()), tmOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto trying = f.uac.receiveCall(inv.callId);
    ASSERT_TRUE(trying) << router.log();
    EXPECT_EQ(trying->status(), 100);
    EXPECT_EQ(trying->header("To"), "<sip:bob@example.com>") << "no To tag on 100";

    auto req = f.uas.receiveCall(inv.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->method(), "INVITE");
    EXPECT_EQ(req->vias().size(), 2u);
    EXPECT_EQ(req->topBranch().rfind("z9hG4bKtm", 0), 0u) << req->topBranch();
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 100, "Trying"), *req));
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    auto ringing = f.uac.receiveCall(inv.callId);
    ASSERT_TRUE(ringing) << router.log();
    EXPECT_EQ(ringing->status(), 180) << "the UAS's 100 stays hop by hop";
    EXPECT_EQ(ringing->vias().size(), 1u);
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 200, "OK"), *req));
    auto ok = f.uac.receiveCall(inv.callId);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);

    // The ACK for the 2xx is a new transaction (new branch) and goes end to end.
    SipRequest ack = inv;
    ack.method = "ACK";
    ack.cseqMethod = "";
    ack.ruri = "sip:bob@127.0.0.1:" + std::to_string(f.uas.port());  // the UAS's Contact
    ack.via = "SIP/2.0/UDP " + f.uac.hostPort() + ";branch=" + uniqueToken("z9hG4bK") + ";rport";
    ack.to = inv.to + ";tag=uas-tag";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, ack), router.port()));
    auto fwdAck = f.uas.receiveCall(inv.callId);
    ASSERT_TRUE(fwdAck) << router.log();
    EXPECT_EQ(fwdAck->method(), "ACK");
}

TEST(TmBasic, RetransmissionBurstIsForwardedOnceAndAnsweredWithTheLastReply) {
    Fixture f;
    SipRouter router(statefulScript(f.uas.port()), tmOptions(4));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest opt;
    opt.ruri = "sip:bob@example.com";
    const std::string text = buildRequest(f.uac, opt);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(f.uac.sendTo(text, router.port()));
    auto req = f.uas.receiveCall(opt.callId);
    ASSERT_TRUE(req) << router.log();
    // Nothing more reaches the UAS: every duplicate was absorbed (the UDP timer E resends
    // only after T1 = 500 ms, so wait less than that).
    EXPECT_FALSE(f.uas.receiveCall(opt.callId, 300)) << "a duplicate was forwarded";
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 200, "OK"), *req));
    auto ok = f.uac.receiveCall(opt.callId);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);
    // A later retransmission gets the 200 again, from the transaction.
    ASSERT_TRUE(f.uac.sendTo(text, router.port()));
    auto again = f.uac.receiveCall(opt.callId);
    ASSERT_TRUE(again) << router.log();
    EXPECT_EQ(again->status(), 200);
    EXPECT_EQ(again->header("To"), ok->header("To"));
    EXPECT_FALSE(f.uas.receiveCall(opt.callId, 200));
}

TEST(TmBasic, NegativeReplyIsAckedDownstreamAndTheAckUpstreamAbsorbed) {
    Fixture f;
    SipRouter router(statefulScript(f.uas.port()), tmOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto req = f.uas.receiveCall(inv.callId);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 486, "Busy Here"), *req));
    auto ack = f.uas.receiveCall(inv.callId);
    ASSERT_TRUE(ack) << router.log();
    EXPECT_EQ(ack->method(), "ACK");
    EXPECT_EQ(ack->topBranch(), req->topBranch()) << "hop-by-hop ACK on the INVITE's branch";
    EXPECT_EQ(ack->header("CSeq"), "1 ACK");
    EXPECT_EQ(ack->header("To"), "<sip:bob@example.com>;tag=uas-tag");

    std::unique_ptr<ReceivedMsg> busy;
    for (int i = 0; i < 3 && !(busy && busy->status() == 486); ++i) {
        busy = f.uac.receiveCall(inv.callId);
    }
    ASSERT_TRUE(busy && busy->status() == 486) << router.log();
    SipRequest uacAck = inv;  // same branch: the ACK of a negative reply
    uacAck.method = "ACK";
    uacAck.cseqMethod = "";
    uacAck.to = busy->header("To");
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, uacAck), router.port()));
    EXPECT_FALSE(f.uas.receiveCall(inv.callId, 300)) << "the ACK went downstream";
    // Absorbed: timer G stops, no more 486 (it would come after T1 = 500 ms, then 1 s).
    auto more = f.uac.receiveCall(inv.callId, 1200);
    EXPECT_FALSE(more) << more->text();
}

TEST(TmBasic, TReplyAnswersStatefullyAndRetransmissionsGetTheSameReply) {
    Fixture f;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.tm.t_newtran()
    KSR.tm.t_reply(404, "Nobody Here")
end
)",
                     tmOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest opt;
    opt.ruri = "sip:nobody@example.com";
    const std::string text = buildRequest(f.uac, opt);
    ASSERT_TRUE(f.uac.sendTo(text, router.port()));
    auto r1 = f.uac.receiveCall(opt.callId);
    ASSERT_TRUE(r1) << router.log();
    EXPECT_EQ(r1->status(), 404);
    EXPECT_EQ(r1->reason(), "Nobody Here");
    ASSERT_TRUE(f.uac.sendTo(text, router.port()));
    auto r2 = f.uac.receiveCall(opt.callId);
    ASSERT_TRUE(r2) << router.log();
    EXPECT_EQ(r2->text(), r1->text());
}

}  // namespace
}  // namespace osprey::testsupport
