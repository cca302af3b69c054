// The core KSR functions scripts reach for first, end to end with the real osprey: method
// tests, flags, log functions, $du handling (setdsturi / resetdsturi / isdsturiset),
// seturi / setuser / sethost, the is_myself_* family and KSR.x.drop.
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

TEST(CoreKemi, MethodTestsFlagsAndLogs) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    local m = ""
    for _, f in ipairs({"INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "SUBSCRIBE",
                        "NOTIFY", "PUBLISH", "MESSAGE", "INFO", "UPDATE", "PRACK", "REFER"}) do
        if KSR["is_" .. f]() then m = m .. f end
    end
    KSR.setflag(5)
    local flags = tostring(KSR.isflagset(5))
    KSR.resetflag(5)
    flags = flags .. tostring(KSR.isflagset(5))
    KSR.dbg("dbg-line\n") KSR.info("info-line") KSR.notice("notice-line")
    KSR.warn("warn-line") KSR.err("err-line") KSR.crit("crit-line")
    KSR.sl.sl_send_reply(200, m .. " " .. flags .. " " .. tostring(KSR.is_method("ack|Message")))
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    for (const char* method : {"MESSAGE", "PUBLISH", "OPTIONS"}) {
        SipRequest r;
        r.method = method;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        auto resp = uac.receiveCall(r.callId);
        ASSERT_TRUE(resp) << router.log();
        const bool msg = std::string(method) == "MESSAGE";
        EXPECT_EQ(resp->reason(), std::string(method) + " truefalse " + (msg ? "true" : "false"));
    }
    for (const char* line : {"info-line", "notice-line", "warn-line", "err-line", "crit-line"}) {
        EXPECT_NE(router.process().waitForLog(line), std::string::npos) << line;
    }
    EXPECT_EQ(router.process().countInLog("dbg-line"), 0u) << "below the configured level";
}

TEST(CoreKemi, DstUriAndRequestUriFunctions) {
    SipPeer uac, uasA, uasB;
    const std::string a = "sip:127.0.0.1:" + std::to_string(uasA.port());
    SipRouter router(R"lua(
function ksr_request_route()
    local mode = KSR.hdr.get("X-Mode")
    local s = tostring(KSR.isdsturiset())
    KSR.setdsturi("sip:127.0.0.1:)lua" +
                     std::to_string(uasB.port()) + R"lua(")
    s = s .. tostring(KSR.isdsturiset()) .. tostring(KSR.is_myself_duri())
    if mode == "reset" then
        KSR.resetdsturi()
        s = s .. tostring(KSR.isdsturiset())
        KSR.seturi(")lua" +
                     a + R"lua(")
        KSR.setuser("zed")
    else
        KSR.setuser("yan")
        KSR.sethost("host.example.org")
    end
    s = s .. KSR.seturi("not a uri")
    KSR.hdr.append("X-S: " .. s .. "\r\n")
    KSR.forward()
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com;transport=udp";
    r.extraHeaders = "X-Mode: reset\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto gotA = uasA.receiveCall(r.callId);
    ASSERT_TRUE(gotA) << router.log();
    EXPECT_EQ(gotA->requestUri(), "sip:zed@127.0.0.1:" + std::to_string(uasA.port()));
    EXPECT_EQ(gotA->header("X-S"), "falsetruefalsefalse-1");

    SipRequest k;
    k.ruri = "sip:bob@example.com;transport=udp";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, k), router.port()));
    auto gotB = uasB.receiveCall(k.callId);
    ASSERT_TRUE(gotB) << router.log();
    EXPECT_EQ(gotB->requestUri(), "sip:yan@host.example.org;transport=udp");
    EXPECT_EQ(gotB->header("X-S"), "falsetruefalse-1");
}

TEST(CoreKemi, MyselfFamilyAndDrop) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
function ksr_request_route()
    if KSR.hdr.is_present("X-Drop") > 0 then
        KSR.setdsturi("sip:127.0.0.1:)lua" +
                     std::to_string(uas.port()) + R"lua(")
        KSR.x.drop()
        KSR.forward()  -- never reached
    end
    KSR.sl.sl_send_reply(200, tostring(KSR.is_myself_ruri()) .. tostring(KSR.is_myself_furi()) ..
        tostring(KSR.is_myself_turi()) .. tostring(KSR.is_myself_srcip()))
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = router.uri();
    r.from = "<sip:alice@example.com>;tag=1";
    r.to = "<sip:someone@127.0.0.1:" + std::to_string(router.port()) + ">";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "truefalsetruetrue");

    SipRequest d;
    d.ruri = "sip:bob@example.com";
    d.extraHeaders = "X-Drop: 1\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, d), router.port()));
    EXPECT_FALSE(uas.receiveCall(d.callId, 500)) << "KSR.x.drop() stops before forward()";
    EXPECT_FALSE(uac.receiveCall(d.callId, 100));
}

}  // namespace
}  // namespace osprey::testsupport
