// The CANCEL tm sends downstream is a non-INVITE client transaction (RFC 3261 §9.1, §17.1.2):
// over UDP it is retransmitted with timer E (T1 doubling up to T2) until a response comes,
// and when the callee never ends the INVITE branch after the CANCEL, the branch gives up
// after 64*T1 and the caller still gets its 487.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "test/integration/tm_test_util.h"

namespace osprey::testsupport {
namespace {

std::string script(uint16_t uasPort) {
    return relayScript("127.0.0.1:" + std::to_string(uasPort));
}

struct Ringing {
    SipPeer uac;
    SipPeer uas;
    SipRequest inv = invite();
    std::unique_ptr<ReceivedMsg> req;
};

// INVITE through the router, 180 back, CANCEL from the caller (answered 200 by the router);
// returns the first CANCEL the callee saw.
std::unique_ptr<ReceivedMsg> ringThenCancel(SipRouter& router, Ringing& r) {
    if (!r.uac.sendTo(buildRequest(r.uac, r.inv), router.port())) return nullptr;
    r.req = waitFor(r.uas, r.inv.callId, isMethod("INVITE"));
    if (!r.req || !r.uas.sendBack(buildResponse(*r.req, 180, "Ringing"), *r.req)) return nullptr;
    if (!waitFor(r.uac, r.inv.callId, isStatus(180))) return nullptr;
    SipRequest cancel = cancelOf(r.inv);
    if (!r.uac.sendTo(buildRequest(r.uac, cancel), router.port())) return nullptr;
    if (!waitFor(r.uac, r.inv.callId, isStatus(200))) return nullptr;
    return waitFor(r.uas, r.inv.callId, isMethod("CANCEL"));
}

TEST(TmCancelRetr, UnansweredCancelIsRetransmitted) {
    Ringing r;
    SipRouter router(script(r.uas.port()), tmRouterOptions("retr_timer1 = 100;"));
    ASSERT_TRUE(router.start()) << router.log();
    auto first = ringThenCancel(router, r);
    ASSERT_TRUE(first) << router.log();
    // Ignored: timer E sends it again after T1 (100 ms), same transaction.
    const auto start = std::chrono::steady_clock::now();
    auto again = waitFor(r.uas, r.inv.callId, isMethod("CANCEL"), 1000);
    ASSERT_TRUE(again) << router.log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
    EXPECT_EQ(again->topBranch(), first->topBranch());
    EXPECT_EQ(again->header("CSeq"), first->header("CSeq"));

    ASSERT_TRUE(r.uas.sendBack(buildResponse(*again, 200, "OK"), *again));
    ASSERT_TRUE(r.uas.sendBack(buildResponse(*r.req, 487, "Request Terminated"), *r.req));
    auto terminated = waitFor(r.uac, r.inv.callId, isFinal());
    ASSERT_TRUE(terminated) << router.log();
    EXPECT_EQ(terminated->status(), 487);
    // Answered: no more CANCELs.
    EXPECT_FALSE(waitFor(r.uas, r.inv.callId, isMethod("CANCEL"), 500));
}

TEST(TmCancelRetr, CalleeSilentAfterCancelGives487After64T1) {
    Ringing r;
    SipRouter router(script(r.uas.port()), tmRouterOptions("retr_timer1 = 50; retr_timer2 = 200;"));
    ASSERT_TRUE(router.start()) << router.log();
    ASSERT_TRUE(ringThenCancel(router, r)) << router.log();
    // The callee answers neither the CANCEL nor the INVITE: 64*T1 = 3.2 s later the branch
    // gives up and the caller gets 487 (not fr_inv_timer's 120 s).
    const auto start = std::chrono::steady_clock::now();
    auto terminated = waitFor(r.uac, r.inv.callId, isFinal(), 8000);
    ASSERT_TRUE(terminated) << router.log();
    EXPECT_EQ(terminated->status(), 487);
    EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace osprey::testsupport
