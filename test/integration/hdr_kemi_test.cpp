// KSR.hdr end to end with the real osprey: remove (every instance, every line, compact forms,
// unknown names), append / insert / append_after / insert_before as whole lines, is_present and
// get on the received message, and bad header text refused with -1 and nothing sent broken.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

std::string dst(const SipPeer& p) {
    return "sip:127.0.0.1:" + std::to_string(p.port());
}

// Header names of a message in order (as written).
std::vector<std::string> headerNames(ReceivedMsg& m) {
    std::vector<std::string> names;
    sip::SipMsg& msg = m.msg();
    for (uint32_t i = 0; i < msg.headerCount(); ++i) names.emplace_back(msg.header(i).name);
    return names;
}

TEST(HdrKemi, RemoveTakesEveryInstanceWhateverItsSpelling) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.setdsturi(")lua" +
                     dst(uas) + R"lua(")
    local before = KSR.hdr.is_present("Route") .. " " .. KSR.hdr.is_present("s")
    if KSR.hdr.remove("Route") < 0 then KSR.sl.sl_send_reply(500, "remove") return end
    KSR.hdr.remove("route")
    KSR.hdr.remove("Subject")
    KSR.hdr.remove("x-drop-me")
    KSR.hdr.remove("X-Never-There")
    KSR.hdr.append("X-Before: " .. before .. "\r\n")
    KSR.hdr.append("X-After: " .. KSR.hdr.is_present("Route") .. "\r\n")
    KSR.forward()
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.extraHeaders =
        "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
        "X-Drop-Me: 1\r\n"
        "s: compact subject\r\n"
        "ROUTE: <sip:p3.example.com;lr>\r\n"
        "X-Keep: 2\r\n"
        "x-drop-me: 3\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_FALSE(req->has("Route")) << req->text();
    EXPECT_FALSE(req->has("Subject")) << req->text();
    EXPECT_FALSE(req->has("X-Drop-Me")) << req->text();
    EXPECT_EQ(req->header("X-Keep"), "2");
    EXPECT_EQ(req->header("X-Before"), "1 1");
    EXPECT_EQ(req->header("X-After"), "1") << "is_present sees the received message";
    EXPECT_EQ(req->header("Call-ID"), r.callId);
}

TEST(HdrKemi, AddedLinesLandWhereAsked) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.setdsturi(")lua" +
                     dst(uas) + R"lua(")
    KSR.hdr.append("X-Last-1: a\r\nX-Last-2: b\r\n")
    KSR.hdr.append("X-No-Crlf: c")
    KSR.hdr.insert("X-First: d\r\n")
    KSR.hdr.append_after("X-After-Callid: e\r\n", "i")
    KSR.hdr.insert_before("X-Before-Cseq: f\r\n", "CSeq")
    KSR.hdr.append_after("X-After-Absent: g\r\n", "X-Absent")
    KSR.hdr.rmappend("X-Old", "X-New: h\r\n")
    KSR.forward()
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.extraHeaders = "X-Old: gone\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    std::vector<std::string> names = headerNames(*req);
    ASSERT_GE(names.size(), 8u) << req->text();
    EXPECT_EQ(names.front(), "X-First") << req->text();
    auto at = [&](const std::string& n) {
        for (size_t i = 0; i < names.size(); ++i) {
            if (names[i] == n) return static_cast<int>(i);
        }
        return -1;
    };
    EXPECT_EQ(at("X-After-Callid"), at("Call-ID") + 1) << req->text();
    EXPECT_EQ(at("X-Before-Cseq"), at("CSeq") - 1) << req->text();
    EXPECT_GT(at("X-Last-2"), at("X-Last-1"));
    EXPECT_GT(at("X-No-Crlf"), at("X-Last-2"));
    EXPECT_GE(at("X-After-Absent"), 0);
    EXPECT_EQ(at("X-Old"), -1);
    EXPECT_EQ(req->header("X-New"), "h");
    EXPECT_EQ(req->header("X-No-Crlf"), "c");
    EXPECT_EQ(req->header("X-Last-2"), "b");
}

TEST(HdrKemi, GetGivesTheFirstValueOrNil) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, tostring(KSR.hdr.get("X-Multi")) .. "|" ..
        tostring(KSR.hdr.get("x-multi")) .. "|" .. tostring(KSR.hdr.get("X-Absent")) .. "|" ..
        KSR.hdr.gete("X-Absent") .. "|" .. tostring(KSR.hdr.get("f")) .. "|" ..
        KSR.hdr.is_present("X-Absent"))
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.from = "<sip:alice@example.com>;tag=abc";
    r.extraHeaders = "X-Multi: one\r\nX-Multi: two\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "one|one|nil||<sip:alice@example.com>;tag=abc|-1");
}

TEST(HdrKemi, BadHeaderTextIsRefusedAndNothingBrokenLeaves) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.setdsturi(")lua" +
                     dst(uas) + R"lua(")
    local r = KSR.hdr.append("no colon here\r\n") .. KSR.hdr.append("Bad Name: x\r\n") ..
        KSR.hdr.append("") .. KSR.hdr.append("X-A: 1\r\n\r\nX-B: 2\r\n") ..
        KSR.hdr.insert("X-C: 1\r\n bad folding\r\n") .. KSR.hdr.remove("")
    KSR.hdr.append("X-Results: " .. r .. "\r\n")
    KSR.forward()
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(req->parsed()) << req->text();
    EXPECT_EQ(req->header("X-Results"), "-1-1-1-1-1-1");
    EXPECT_FALSE(req->has("X-A"));
    EXPECT_FALSE(req->has("X-C"));
    EXPECT_NE(router.process().waitForLog("route.lua:4: KSR.hdr: not a header line: 'no colon"),
              std::string::npos)
        << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
