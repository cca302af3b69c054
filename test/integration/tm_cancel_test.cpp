// tm CANCEL and timeouts end to end: CANCEL after a provisional (200 to the CANCEL, CANCEL
// downstream, the UAS's 487 relayed and ACKed), CANCEL before any provisional (held until the
// first provisional, RFC 3261 §9.1), a CANCEL with no transaction (481 from the script), 408
// when the callee is silent (fr_timer; timer A retransmissions seen), and timer C
// (fr_inv_timer: a ringing branch is CANCELled and the caller gets 408).
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"

namespace osprey::testsupport {
namespace {

std::string script(uint16_t uasPort) {
    return R"(
function ksr_request_route()
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then
            KSR.tm.t_relay()
        else
            KSR.sl.send_reply(481, "Call/Transaction Does Not Exist")
        end
        return 1
    end
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:127.0.0.1:)" +
           std::to_string(uasPort) + R"(")
    KSR.tm.t_on_failure("on_failure")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end

function on_failure()
    if KSR.tm.t_is_canceled() > 0 then KSR.info("failure route: canceled") end
end
)";
}

struct Fixture {
    SipPeer uac;
    SipPeer uas;
};

TEST(TmCancel, CancelAfterProvisional) {
    Fixture f;
    SipRouter router(script(f.uas.port()), tmRouterOptions(""));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto req = waitFor(f.uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    ASSERT_TRUE(waitFor(f.uac, inv.callId, isStatus(180))) << router.log();

    SipRequest cancel = cancelOf(inv);
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, cancel), router.port()));
    auto cancelOk = waitFor(f.uac, inv.callId, isStatus(200));
    ASSERT_TRUE(cancelOk) << router.log();
    EXPECT_EQ(cancelOk->header("CSeq"), "1 CANCEL");

    auto down = waitFor(f.uas, inv.callId, isMethod("CANCEL"));
    ASSERT_TRUE(down) << router.log();
    EXPECT_EQ(down->topBranch(), req->topBranch());
    EXPECT_EQ(down->requestUri(), req->requestUri());
    EXPECT_EQ(down->header("CSeq"), "1 CANCEL");
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*down, 200, "OK"), *down));
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 487, "Request Terminated"), *req));

    auto terminated = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(terminated) << router.log();
    EXPECT_EQ(terminated->status(), 487);
    EXPECT_EQ(terminated->header("CSeq"), "1 INVITE");
    auto ack = waitFor(f.uas, inv.callId, isMethod("ACK"));
    ASSERT_TRUE(ack) << router.log();
    EXPECT_EQ(ack->topBranch(), req->topBranch());
    EXPECT_NE(router.process().waitForLog("failure route: canceled"), std::string::npos);
}

TEST(TmCancel, CancelBeforeProvisionalWaitsForIt) {
    Fixture f;
    SipRouter router(script(f.uas.port()), tmRouterOptions(""));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto req = waitFor(f.uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();

    SipRequest cancel = cancelOf(inv);
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, cancel), router.port()));
    ASSERT_TRUE(waitFor(f.uac, inv.callId, isStatus(200))) << router.log();
    // No CANCEL downstream before a provisional (the INVITE may be retransmitted meanwhile).
    EXPECT_FALSE(waitFor(f.uas, inv.callId, isMethod("CANCEL"), 300));

    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    auto down = waitFor(f.uas, inv.callId, isMethod("CANCEL"));
    ASSERT_TRUE(down) << router.log();
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*down, 200, "OK"), *down));
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 487, "Request Terminated"), *req));
    auto terminated = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(terminated) << router.log();
    EXPECT_EQ(terminated->status(), 487);
}

TEST(TmCancel, CancelWithoutTransactionGets481) {
    Fixture f;
    SipRouter router(script(f.uas.port()), tmRouterOptions(""));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest cancel = cancelOf(invite());
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, cancel), router.port()));
    auto r = waitFor(f.uac, cancel.callId, isFinal());
    ASSERT_TRUE(r) << router.log();
    EXPECT_EQ(r->status(), 481);
    EXPECT_FALSE(f.uas.receiveCall(cancel.callId, 200));
}

TEST(TmCancel, SilentCalleeGets408AfterFrTimer) {
    Fixture f;
    SipRouter router(script(f.uas.port()), tmRouterOptions("fr_timer = 1200;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto req = waitFor(f.uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();
    // Timer A: the INVITE again after T1.
    auto again = waitFor(f.uas, inv.callId, isMethod("INVITE"), 1000);
    ASSERT_TRUE(again) << router.log();
    EXPECT_EQ(again->topBranch(), req->topBranch());
    const auto start = std::chrono::steady_clock::now();
    auto timeout = waitFor(f.uac, inv.callId, isFinal(), 3000);
    ASSERT_TRUE(timeout) << router.log();
    EXPECT_EQ(timeout->status(), 408);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
    // The caller ACKs the 408; the transaction absorbs it.
    SipRequest ack = inv;
    ack.method = "ACK";
    ack.cseqMethod = "";
    ack.to = timeout->header("To");
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, ack), router.port()));
    EXPECT_FALSE(waitFor(f.uas, inv.callId, isMethod("ACK"), 300));
}

TEST(TmCancel, TimerCCancelsARingingBranch) {
    Fixture f;
    SipRouter router(script(f.uas.port()), tmRouterOptions("fr_inv_timer = 800;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto req = waitFor(f.uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    auto down = waitFor(f.uas, inv.callId, isMethod("CANCEL"), 3000);
    ASSERT_TRUE(down) << router.log();
    EXPECT_EQ(down->topBranch(), req->topBranch());
    auto timeout = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(timeout) << router.log();
    EXPECT_EQ(timeout->status(), 408);
    // The UAS answers the CANCEL; its 487 is ACKed by the proxy and not relayed again.
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*down, 200, "OK"), *down));
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 487, "Request Terminated"), *req));
    ASSERT_TRUE(waitFor(f.uas, inv.callId, isMethod("ACK"))) << router.log();
    EXPECT_FALSE(waitFor(f.uac, inv.callId, isStatus(487), 300));
}

}  // namespace
}  // namespace osprey::testsupport
