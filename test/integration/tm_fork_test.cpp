// tm forking end to end: parallel forking to the R-URI and the branches registrar lookup
// appends (first 2xx relayed, the other branches CANCELled, their 487 ACKed and not relayed),
// the best final response among 4xx/5xx/6xx (RFC 3261 §16.7), and serial forking from a
// failure route (t_relay again to another destination after a 486).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/integration/tm_test_util.h"

namespace osprey::testsupport {
namespace {

// Registers `uas` as a contact of bob through the router.
void registerContact(SipPeer& uas, uint16_t routerPort, const std::string& q = "") {
    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:example.com";
    reg.to = "<sip:bob@example.com>";
    reg.from = reg.to + ";tag=" + uniqueToken("t");
    reg.extraHeaders = "Contact: <sip:bob@" + uas.hostPort() + ">" +
                       (q.empty() ? "" : ";q=" + q) + "\r\nExpires: 300\r\n";
    ASSERT_TRUE(uas.sendTo(buildRequest(uas, reg), routerPort));
    auto r = waitFor(uas, reg.callId, isFinal());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status(), 200) << r->text();
}

SipRouterOptions withPv(SipRouterOptions o) {
    o.modules += ", { name = \"pv\"; }";
    return o;
}

struct Forked {
    SipPeer uac;
    SipPeer uas[3];
};

TEST(TmFork, ParallelFirst2xxWinsAndTheOthersAreCancelled) {
    Forked f;
    SipRouter router(kRegistrarRelayScript, tmRouterOptions("", 2, true));
    ASSERT_TRUE(router.start()) << router.log();
    registerContact(f.uas[0], router.port());
    registerContact(f.uas[1], router.port());

    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto r0 = waitFor(f.uas[0], inv.callId, isMethod("INVITE"));
    auto r1 = waitFor(f.uas[1], inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(r0 && r1) << router.log();
    EXPECT_NE(r0->topBranch(), r1->topBranch());
    EXPECT_EQ(r0->requestUri(), "sip:bob@" + f.uas[0].hostPort());
    EXPECT_EQ(r1->requestUri(), "sip:bob@" + f.uas[1].hostPort());

    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*r1, 180, "Ringing", "tag-1"), *r1));
    ASSERT_TRUE(waitFor(f.uac, inv.callId, isStatus(180))) << router.log();
    ASSERT_TRUE(f.uas[0].sendBack(buildResponse(*r0, 200, "OK", "tag-0"), *r0));
    auto ok = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);
    EXPECT_NE(ok->header("To").find("tag-0"), std::string::npos);

    auto cancel = waitFor(f.uas[1], inv.callId, isMethod("CANCEL"));
    ASSERT_TRUE(cancel) << router.log();
    EXPECT_EQ(cancel->topBranch(), r1->topBranch());
    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*cancel, 200, "OK", "tag-1"), *cancel));
    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*r1, 487, "Request Terminated", "tag-1"), *r1));
    ASSERT_TRUE(waitFor(f.uas[1], inv.callId, isMethod("ACK"))) << router.log();
    EXPECT_FALSE(waitFor(f.uac, inv.callId, isStatus(487), 300)) << "487 after a 2xx relayed";
    EXPECT_FALSE(waitFor(f.uas[0], inv.callId, isMethod("CANCEL"), 100));
}

TEST(TmFork, BestResponsePrefersLowestClassAnd6xx) {
    Forked f;
    SipRouter router(kRegistrarRelayScript, tmRouterOptions("", 2, true));
    ASSERT_TRUE(router.start()) << router.log();
    for (SipPeer& p : f.uas) registerContact(p, router.port());

    // 503, 404 and 500: the 4xx wins over the 5xx.
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    std::unique_ptr<ReceivedMsg> r[3];
    for (int i = 0; i < 3; ++i) {
        r[i] = waitFor(f.uas[i], inv.callId, isMethod("INVITE"));
        ASSERT_TRUE(r[i]) << router.log();
    }
    ASSERT_TRUE(f.uas[0].sendBack(buildResponse(*r[0], 503, "Unavailable"), *r[0]));
    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*r[1], 404, "Not Found"), *r[1]));
    EXPECT_FALSE(waitFor(f.uac, inv.callId, isFinal(), 200)) << "a branch is still pending";
    ASSERT_TRUE(f.uas[2].sendBack(buildResponse(*r[2], 500, "Server Error"), *r[2]));
    auto best = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(best) << router.log();
    EXPECT_EQ(best->status(), 404);
    EXPECT_EQ(best->vias().size(), 1u);

    // A 6xx wins over anything and CANCELs the pending branches.
    SipRequest inv2 = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv2), router.port()));
    for (int i = 0; i < 3; ++i) {
        r[i] = waitFor(f.uas[i], inv2.callId, isMethod("INVITE"));
        ASSERT_TRUE(r[i]) << router.log();
    }
    ASSERT_TRUE(f.uas[0].sendBack(buildResponse(*r[0], 486, "Busy Here"), *r[0]));
    ASSERT_TRUE(f.uas[2].sendBack(buildResponse(*r[2], 180, "Ringing"), *r[2]));
    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*r[1], 603, "Decline"), *r[1]));
    auto cancel = waitFor(f.uas[2], inv2.callId, isMethod("CANCEL"));
    ASSERT_TRUE(cancel) << router.log();
    ASSERT_TRUE(f.uas[2].sendBack(buildResponse(*cancel, 200, "OK"), *cancel));
    ASSERT_TRUE(f.uas[2].sendBack(buildResponse(*r[2], 487, "Request Terminated"), *r[2]));
    auto decline = waitFor(f.uac, inv2.callId, isFinal());
    ASSERT_TRUE(decline) << router.log();
    EXPECT_EQ(decline->status(), 603);
}

TEST(TmFork, FailureRouteForksSerially) {
    Forked f;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:)" + f.uas[0].hostPort() + R"(")
    KSR.tm.t_on_failure("next_hop")
    KSR.tm.t_on_reply("on_reply")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end

function on_reply()
    if KSR.tm.t_check_status("486") > 0 then KSR.info("onreply route: 486") end
end

function next_hop()
    if KSR.tm.t_is_canceled() > 0 then return end
    if KSR.tm.t_check_status("486|408") > 0 then
        KSR.info("failure route: trying the second hop")
        KSR.setdsturi("sip:)" + f.uas[1].hostPort() + R"(")
        KSR.tm.t_relay()
    end
end
)",
                     tmRouterOptions(""));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto r0 = waitFor(f.uas[0], inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(r0) << router.log();
    ASSERT_TRUE(f.uas[0].sendBack(buildResponse(*r0, 486, "Busy Here"), *r0));
    ASSERT_TRUE(waitFor(f.uas[0], inv.callId, isMethod("ACK"))) << router.log();
    auto r1 = waitFor(f.uas[1], inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(r1) << router.log();
    EXPECT_NE(r1->topBranch(), r0->topBranch());
    EXPECT_EQ(r1->header("CSeq"), "1 INVITE");
    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*r1, 200, "OK"), *r1));
    auto ok = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200) << "the 486 was not relayed";
    EXPECT_NE(router.process().waitForLog("failure route: trying the second hop"),
              std::string::npos);
    EXPECT_NE(router.process().waitForLog("onreply route: 486"), std::string::npos);
}

}  // namespace
}  // namespace osprey::testsupport

namespace osprey::testsupport {
namespace {

// t_on_branch: the named function runs once per branch from inside t_relay, with that
// branch's R-URI; KSR.x.drop() there drops only that branch.
TEST(TmFork, BranchRouteRunsPerBranchAndMayDropOne) {
    Forked f;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    if KSR.registrar.lookup("location") < 0 then
        KSR.sl.send_reply(404, "Not Found")
        return 1
    end
    KSR.tm.t_on_branch("per_branch")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end

function per_branch()
    KSR.info("branch route for " .. KSR.pv.get("$ru"))
    if KSR.pv.get("$ru") == "sip:bob@)" + f.uas[0].hostPort() + R"(" then KSR.x.drop() end
end
)",
                     withPv(tmRouterOptions("", 2, true)));
    ASSERT_TRUE(router.start()) << router.log();
    registerContact(f.uas[0], router.port());
    registerContact(f.uas[1], router.port());
    SipRequest inv = invite();
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, inv), router.port()));
    auto r1 = waitFor(f.uas[1], inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(r1) << router.log();
    EXPECT_FALSE(waitFor(f.uas[0], inv.callId, isMethod("INVITE"), 300))
        << "dropped branch sent\n"
        << router.log();
    EXPECT_NE(router.process().waitForLog("branch route for sip:bob@" + f.uas[0].hostPort()),
              std::string::npos);
    EXPECT_NE(router.process().waitForLog("branch route for sip:bob@" + f.uas[1].hostPort()),
              std::string::npos);
    ASSERT_TRUE(f.uas[1].sendBack(buildResponse(*r1, 200, "OK"), *r1));
    auto ok = waitFor(f.uac, inv.callId, isFinal());
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);
}

}  // namespace
}  // namespace osprey::testsupport
