// KSR.siputils end to end with the real osprey: has_totag with and without a tag (and with a To
// that does not parse), is_request / is_reply in the request and reply routes, uri_param, and
// options_reply for an OPTIONS to the proxy itself.
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

SipRouterOptions withSiputils() {
    SipRouterOptions o;
    o.modules = "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"siputils\"; }";
    return o;
}

const char* kReportScript = R"lua(
function ksr_request_route()
    if KSR.is_OPTIONS() and KSR.hdr.get("X-Options-Reply") then
        if KSR.siputils.options_reply() < 0 then KSR.sl.sl_send_reply(404, "not for me") end
        return
    end
    KSR.sl.sl_send_reply(200, "totag=" .. KSR.siputils.has_totag() .. " req=" ..
        KSR.siputils.is_request() .. " rep=" .. KSR.siputils.is_reply() .. " lr=" ..
        KSR.siputils.uri_param("lr") .. " t=" .. KSR.siputils.uri_param("transport"))
end
)lua";

std::string ask(SipPeer& uac, SipRouter& router, SipRequest& r) {
    if (!uac.sendTo(buildRequest(uac, r), router.port())) return "send failed";
    auto resp = uac.receiveCall(r.callId);
    if (!resp) return "no reply";
    return std::to_string(resp->status()) + " " + resp->reason();
}

TEST(SiputilsKemi, HasTotagAndFriends) {
    SipPeer uac;
    SipRouter router(kReportScript, withSiputils());
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest initial;
    initial.method = "INVITE";
    initial.ruri = "sip:bob@example.com;lr;transport=tcp";
    EXPECT_EQ(ask(uac, router, initial), "200 totag=-1 req=1 rep=-1 lr=1 t=1");

    SipRequest inDialog;
    inDialog.method = "BYE";
    inDialog.ruri = "sip:bob@192.0.2.4";
    inDialog.to = "<sip:bob@example.com>;tag=uas-1";
    EXPECT_EQ(ask(uac, router, inDialog), "200 totag=1 req=1 rep=-1 lr=-1 t=-1");

    SipRequest emptyTag;
    emptyTag.ruri = "sip:bob@example.com";
    emptyTag.to = "<sip:bob@example.com>;tag=";
    EXPECT_EQ(ask(uac, router, emptyTag), "200 totag=-1 req=1 rep=-1 lr=-1 t=-1");

    SipRequest badTo;
    badTo.ruri = "sip:bob@example.com";
    badTo.to = "<sip:bob@example.com;tag=x";
    EXPECT_EQ(ask(uac, router, badTo), "200 totag=-1 req=1 rep=-1 lr=-1 t=-1")
        << "an unparseable To has no tag";
}

TEST(SiputilsKemi, IsReplyInTheReplyRoute) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.setdsturi("sip:127.0.0.1:)lua" +
                         std::to_string(uas.port()) + R"lua(")
    KSR.forward()
end
function ksr_reply_route()
    KSR.hdr.append("X-Kind: " .. KSR.siputils.is_reply() .. KSR.siputils.is_request() ..
                   KSR.siputils.has_totag() .. "\r\n")
end
)lua",
                     withSiputils());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 200, "OK", "t1"), *req));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->header("X-Kind"), "1-11") << resp->text();
}

TEST(SiputilsKemi, OptionsReplyAnswersOnlyOptionsToTheProxy) {
    SipPeer uac;
    SipRouter router(kReportScript, withSiputils());
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest toProxy;
    toProxy.ruri = router.uri();
    toProxy.extraHeaders = "X-Options-Reply: 1\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, toProxy), router.port()));
    auto resp = uac.receiveCall(toProxy.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_NE(resp->header("Allow").find("INVITE"), std::string::npos) << resp->text();
    EXPECT_TRUE(resp->has("Accept")) << resp->text();

    SipRequest toUser;
    toUser.ruri = "sip:bob@127.0.0.1:" + std::to_string(router.port());
    toUser.extraHeaders = "X-Options-Reply: 1\r\n";
    EXPECT_EQ(ask(uac, router, toUser), "404 not for me");
}

}  // namespace
}  // namespace osprey::testsupport
