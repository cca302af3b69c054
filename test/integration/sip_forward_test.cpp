// Stateless forwarding end to end with the real osprey on loopback: a test UAC sends through
// the router to a test UAS and back (RFC 3261 §16.11): our Via pushed on requests and popped
// from responses, Max-Forwards handled by maxfwd, received/rport (RFC 3581), deterministic
// branches for retransmissions and CANCEL.
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

// Forwards everything to the UAS whose port the test writes in; Max-Forwards per maxfwd.
std::string forwardScript(uint16_t uasPort, const std::string& before = "") {
    return R"(
function ksr_request_route()
    local mf = KSR.maxfwd.process_maxfwd(70)
    if mf < 0 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        return
    end
)" + before + R"(
    KSR.setdsturi("sip:127.0.0.1:)" +
           std::to_string(uasPort) + R"(")
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)";
}

struct Fixture {
    SipPeer uac;
    SipPeer uas;
};

TEST(SipForward, OptionsGoesThroughAndTheReplyComesBack) {
    Fixture f;
    ASSERT_TRUE(f.uac.ok() && f.uas.ok());
    SipRouter router(forwardScript(f.uas.port()));
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.maxForwards = 70;
    const std::string branch = uniqueToken("z9hG4bK");
    r.via = "SIP/2.0/UDP " + f.uac.hostPort() + ";branch=" + branch + ";rport";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));

    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(req->parsed()) << req->text();
    EXPECT_EQ(req->method(), "OPTIONS");
    EXPECT_EQ(req->requestUri(), r.ruri);
    EXPECT_EQ(req->header("Max-Forwards"), "69");
    std::vector<std::string> vias = req->vias();
    ASSERT_EQ(vias.size(), 2u) << req->text();
    const std::string ourSentBy = "127.0.0.1:" + std::to_string(router.port());
    EXPECT_EQ(vias[0].rfind("SIP/2.0/UDP " + ourSentBy + ";branch=z9hG4bK", 0), 0u) << vias[0];
    // The UAC asked for rport: its Via now says where the request came from.
    EXPECT_EQ(req->viaParam(1, "rport"), std::to_string(f.uac.port()));
    EXPECT_EQ(req->viaParam(1, "received"), "127.0.0.1");
    EXPECT_EQ(req->viaParam(1, "branch"), branch);
    EXPECT_EQ(req->header("Call-ID"), r.callId);
    EXPECT_EQ(req->header("CSeq"), "1 OPTIONS");

    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 200, "OK"), *req));
    auto resp = f.uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    std::vector<std::string> back = resp->vias();
    ASSERT_EQ(back.size(), 1u) << resp->text();
    EXPECT_EQ(back[0], vias[1]) << "our Via is popped, the UAC's stays as we forwarded it";
    EXPECT_EQ(resp->header("To"), "<" + r.ruri + ">;tag=uas-tag");
}

TEST(SipForward, RequestUriIsTheNextHopWithoutDstUri) {
    Fixture f;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "MESSAGE";
    r.ruri = "sip:bob@127.0.0.1:" + std::to_string(f.uas.port()) + ";transport=udp";
    r.body = "hello";
    r.extraHeaders = "Content-Type: text/plain\r\n";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->method(), "MESSAGE");
    EXPECT_EQ(req->header("Content-Length"), "5");
    EXPECT_EQ(req->text().substr(req->text().size() - 5), "hello");
    EXPECT_EQ(req->header("Max-Forwards"), "70") << "no maxfwd call in this script";
}

TEST(SipForward, ForwardUriLeavesTheRequestUriAlone) {
    Fixture f;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.forward_uri("sip:127.0.0.1:)" + std::to_string(f.uas.port()) + R"(") < 0 then
        KSR.sl.sl_reply_error()
    end
end
)");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:carol@example.org";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->requestUri(), "sip:carol@example.org");
}

TEST(SipForward, RetransmissionsKeepTheirBranchAndCancelMatchesTheInvite) {
    Fixture f;
    SipRouter router(forwardScript(f.uas.port()));
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest invite;
    invite.method = "INVITE";
    invite.ruri = "sip:bob@example.com";
    const std::string text = buildRequest(f.uac, invite);
    ASSERT_TRUE(f.uac.sendTo(text, router.port()));
    auto first = f.uas.receiveCall(invite.callId);
    ASSERT_TRUE(first) << router.log();
    ASSERT_TRUE(f.uac.sendTo(text, router.port()));  // retransmission, maybe another worker
    auto again = f.uas.receiveCall(invite.callId);
    ASSERT_TRUE(again) << router.log();
    EXPECT_EQ(first->topBranch(), again->topBranch());

    SipRequest cancel = invite;  // same Via branch, Call-ID, From, CSeq number
    cancel.method = "CANCEL";
    cancel.cseqMethod = "";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, cancel), router.port()));
    auto c = f.uas.receiveCall(invite.callId);
    ASSERT_TRUE(c) << router.log();
    EXPECT_EQ(c->method(), "CANCEL");
    EXPECT_EQ(c->topBranch(), first->topBranch()) << "RFC 3261 §16.11: CANCEL gets the same";

    SipRequest other;
    other.method = "INVITE";
    other.ruri = invite.ruri;
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, other), router.port()));
    auto o = f.uas.receiveCall(other.callId);
    ASSERT_TRUE(o) << router.log();
    EXPECT_NE(o->topBranch(), first->topBranch());
}

TEST(SipForward, MissingMaxForwardsIsInserted) {
    Fixture f;
    SipRouter router(forwardScript(f.uas.port()));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.maxForwards = std::nullopt;
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->headers("Max-Forwards"), std::vector<std::string>{"70"});
}

TEST(SipForward, MaxForwardsAboveTheLimitIsLowered) {
    Fixture f;
    SipRouterOptions o;
    o.modules = "{ name = \"sl\"; }, { name = \"maxfwd\"; params = { max_limit = 16; }; }";
    SipRouter router(forwardScript(f.uas.port()), o);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.maxForwards = 50;
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->header("Max-Forwards"), "16");
}

TEST(SipForward, MaxForwardsZeroIsAnswered483AndNotForwarded) {
    Fixture f;
    SipRouter router(forwardScript(f.uas.port()));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.maxForwards = 0;
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto resp = f.uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 483);
    EXPECT_EQ(resp->reason(), "Too Many Hops");
    // A request that is forwarded after it shows the zero was never passed on.
    SipRequest next;
    next.ruri = r.ruri;
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, next), router.port()));
    auto got = f.uas.receiveMsg(2000);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->header("Call-ID"), next.callId);
}

TEST(SipForward, ReceivedIsAddedWhenTheSentByDiffersFromTheSource) {
    Fixture f;
    SipRouter router(forwardScript(f.uas.port()));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.via = "SIP/2.0/UDP 192.0.2.1:5999;branch=" + uniqueToken("z9hG4bK");
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->viaParam(1, "received"), "127.0.0.1");
    EXPECT_EQ(req->viaParam(1, "rport"), std::nullopt) << "no rport asked for, none forced";

    // Same address as the source: nothing to add.
    SipRequest same;
    same.ruri = r.ruri;
    same.via = "SIP/2.0/UDP " + f.uac.hostPort() + ";branch=" + uniqueToken("z9hG4bK");
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, same), router.port()));
    auto req2 = f.uas.receiveCall(same.callId);
    ASSERT_TRUE(req2) << router.log();
    EXPECT_EQ(req2->vias().at(1), same.via);
}

TEST(SipForward, ForceRportAddsRportAndRepliesGoToTheSourcePort) {
    Fixture f;
    SipRouter router(forwardScript(f.uas.port(), "    KSR.force_rport()\n"));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    // A client behind NAT: its Via names an address and port we cannot reach.
    r.via = "SIP/2.0/UDP 192.0.2.1:5999;branch=" + uniqueToken("z9hG4bK");
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->viaParam(1, "received"), "127.0.0.1");
    EXPECT_EQ(req->viaParam(1, "rport"), std::to_string(f.uac.port()));
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 200, "OK"), *req));
    auto resp = f.uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << "the reply must reach the source port\n" << router.log();
    EXPECT_EQ(resp->status(), 200);
}

TEST(SipForward, ARepliesTopViaMustBeOurs) {
    Fixture f;
    SipRouter router(forwardScript(f.uas.port()));
    ASSERT_TRUE(router.start()) << router.log();
    // A response whose top Via names someone else: dropped, not sent to the second Via.
    const std::string callId = uniqueToken("stray-");
    std::string stray = "SIP/2.0 200 OK\r\n"
                        "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKnotours\r\n"
                        "Via: SIP/2.0/UDP " + f.uac.hostPort() + ";branch=z9hG4bKuac\r\n"
                        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
                        "Call-ID: " + callId + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    ASSERT_TRUE(f.uas.sendTo(stray, router.port()));
    // An answered request afterwards proves the stray was processed (same source, in order
    // per worker is not guaranteed, so wait for the request's own answer and then check).
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(f.uac.sendTo(buildRequest(f.uac, r), router.port()));
    auto req = f.uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(f.uas.sendBack(buildResponse(*req, 200, "OK"), *req));
    // Everything the UAC gets must be the reply to its request, never the stray one.
    int answers = 0;
    for (auto m = f.uac.receiveMsg(2000); m; m = f.uac.receiveMsg(300)) {
        EXPECT_NE(m->header("Call-ID"), callId) << "a foreign reply was relayed";
        answers += m->header("Call-ID") == r.callId;
    }
    EXPECT_EQ(answers, 1);
    EXPECT_NE(router.process().waitForLog("its top Via is not ours", 2000), std::string::npos)
        << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
