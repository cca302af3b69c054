// Local replies end to end: KSR.sl.* answers built from the request (RFC 3261 §8.2.6), the
// core's own answers to requests that fail the checks (400 with the parser's reason, 416, 505),
// and sl_reply_error after a failed forward.
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

const char* kReplyScript = R"(
function ksr_request_route()
    if KSR.is_method("INVITE|SUBSCRIBE") then
        KSR.sl.send_reply(100, "Trying")
        KSR.sl.sl_send_reply(486, "Busy Here")
        return
    end
    if KSR.is_OPTIONS() and KSR.is_myself_ruri() then
        KSR.sl.sl_send_reply(200, "Keepalive")
        return
    end
    if KSR.is_MESSAGE() then
        -- No UDP socket for TCP: the forward fails and sl_reply_error answers for it.
        if KSR.forward_uri("sip:127.0.0.1:9;transport=tcp") < 0 then KSR.sl.sl_reply_error() end
        return
    end
    KSR.sl.sl_send_reply(404, "Not Found")
end
)";

TEST(SipReply, SlReplyCopiesTheDialogHeadersAndAddsAToTag) {
    SipPeer uac;
    SipRouter router(kReplyScript);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "REGISTER";
    r.ruri = "sip:example.com";
    r.via = "SIP/2.0/UDP " + uac.hostPort() + ";branch=" + uniqueToken("z9hG4bK");
    r.cseq = 42;
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    ASSERT_TRUE(resp->parsed()) << resp->text();
    EXPECT_EQ(resp->status(), 404);
    EXPECT_EQ(resp->reason(), "Not Found");
    EXPECT_EQ(resp->vias(), std::vector<std::string>{r.via}) << "sent-by equals the source";
    EXPECT_EQ(resp->header("From"), r.from);
    const std::string to = resp->header("To");
    ASSERT_EQ(to.rfind(r.to + ";tag=", 0), 0u) << to;
    EXPECT_GT(to.size(), r.to.size() + 5);
    EXPECT_EQ(resp->header("Call-ID"), r.callId);
    EXPECT_EQ(resp->header("CSeq"), "42 REGISTER");
    EXPECT_EQ(resp->header("Content-Length"), "0");

    // A retransmission gets the same To tag (RFC 3261 §8.2.6.2 stateless UAS behaviour).
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto again = uac.receiveCall(r.callId);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->header("To"), to);
}

TEST(SipReply, OneHundredHasNoToTagAndRportIsFilledIn) {
    SipPeer uac;
    SipRouter router(kReplyScript);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto trying = uac.receiveCall(r.callId);
    auto busy = uac.receiveCall(r.callId);
    ASSERT_TRUE(trying && busy) << router.log();
    EXPECT_EQ(trying->status(), 100);
    EXPECT_EQ(trying->header("To"), r.to);
    EXPECT_EQ(busy->status(), 486);
    EXPECT_NE(busy->header("To").find(";tag="), std::string::npos);
    EXPECT_EQ(busy->viaParam(0, "rport"), std::to_string(uac.port()));
    EXPECT_EQ(busy->viaParam(0, "received"), "127.0.0.1");
}

TEST(SipReply, SlReplyErrorAnswersAFailedForward) {
    SipPeer uac;
    SipRouter router(kReplyScript);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "MESSAGE";
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_GE(resp->status(), 500) << resp->text();
    EXPECT_LT(resp->status(), 600) << resp->text();
}

TEST(SipReply, BadRequestsGetTheParsersAnswer) {
    SipPeer uac;
    SipRouter router(kReplyScript);
    ASSERT_TRUE(router.start()) << router.log();

    struct Case {
        std::string name;
        SipRequest req;
        int status;
        std::string reasonPart;
    };
    std::vector<Case> cases;
    {
        SipRequest r;
        r.method = "OPTIONS";
        r.ruri = "sip:bob@example.com";
        r.cseqMethod = "INVITE";
        cases.push_back({"CSeq method mismatch", r, 400, "CSeq"});
    }
    {
        SipRequest r;
        r.ruri = "soap.beep://192.0.2.103:3002";
        cases.push_back({"unknown scheme", r, 416, ""});
    }
    {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        r.maxForwards = 1;
        r.extraHeaders = "Max-Forwards: 5\r\n";
        cases.push_back({"two Max-Forwards", r, 400, "Max-Forwards"});
    }
    for (Case& c : cases) {
        std::string text = buildRequest(uac, c.req);
        ASSERT_TRUE(uac.sendTo(text, router.port()));
        auto resp = uac.receiveCall(c.req.callId);
        ASSERT_TRUE(resp) << c.name << "\n" << router.log();
        EXPECT_EQ(resp->status(), c.status) << c.name << ": " << resp->text();
        EXPECT_NE(resp->reason().find(c.reasonPart), std::string::npos)
            << c.name << ": " << resp->reason();
    }
    // A bad version: 505.
    const std::string callId = uniqueToken("v7-");
    std::string v7 = "OPTIONS sip:bob@example.com SIP/7.0\r\nVia: SIP/2.0/UDP " + uac.hostPort() +
                     ";branch=z9hG4bKv7\r\nFrom: <sip:a@example.com>;tag=1\r\n"
                     "To: <sip:bob@example.com>\r\nCall-ID: " + callId +
                     "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    ASSERT_TRUE(uac.sendTo(v7, router.port()));
    auto resp = uac.receiveCall(callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 505);

    // A malformed ACK is never answered: the next thing the UAC sees is the OPTIONS answer.
    SipRequest ack;
    ack.method = "ACK";
    ack.ruri = "sip:bob@example.com";
    ack.cseqMethod = "INVITE";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, ack), router.port()));
    SipRequest ping;
    ping.ruri = router.uri();
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, ping), router.port()));
    auto first = uac.receiveMsg(2000);
    ASSERT_TRUE(first) << router.log();
    EXPECT_EQ(first->header("Call-ID"), ping.callId);
    EXPECT_EQ(first->status(), 200);
    EXPECT_FALSE(uac.receiveMsg(300)) << "the ACK was answered";
}

}  // namespace
}  // namespace osprey::testsupport
