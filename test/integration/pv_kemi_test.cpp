// KSR.pv end to end with the real osprey: a script reads every pseudo-variable of a known
// request and reports each in a header of the forwarded copy; $ru/$rU/$du writes decide where
// the request goes; $var keeps its value across messages in a worker; a bad name logs
// script:line and gives nil without hurting the worker.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

SipRouterOptions withPv(unsigned children = 2) {
    SipRouterOptions o;
    o.children = children;
    o.modules = "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"pv\"; }";
    return o;
}

std::string dst(const SipPeer& p) {
    return "sip:127.0.0.1:" + std::to_string(p.port());
}

// "X-PV: $name=type:value" lines -> name -> "type:value"
std::map<std::string, std::string> reported(ReceivedMsg& m) {
    std::map<std::string, std::string> out;
    for (const std::string& line : m.headers("X-PV")) {
        const size_t eq = line.find('=');
        if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

TEST(PvKemi, EveryPseudoVariableOfAKnownRequest) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
local names = { "$rU", "$rd", "$rp", "$ru", "$rz", "$du", "$dd", "$dp", "$tU", "$td", "$tu",
    "$tn", "$tt", "$fU", "$fd", "$fu", "$fn", "$ft", "$au", "$ar", "$rm", "$rs", "$rr", "$ci",
    "$cs", "$si", "$sp", "$Ri", "$Rp", "$pr", "$ua", "$hdr(X-Custom)", "$hdr(X-Absent)",
    "$var(never_set)", "$null" }
function ksr_request_route()
    KSR.setdsturi(")lua" +
                         dst(uas) + R"lua(;transport=udp")
    for _, n in ipairs(names) do
        local v = KSR.pv.get(n)
        KSR.hdr.append("X-PV: " .. n .. "=" .. type(v) .. ":" .. tostring(v) .. "\r\n")
    end
    KSR.hdr.append("X-Null: " .. tostring(KSR.pv.is_null("$tt")) .. "," ..
                   tostring(KSR.pv.is_null("$fU")) .. "\r\n")
    KSR.hdr.append("X-Gete: [" .. KSR.pv.gete("$tt") .. "] " .. KSR.pv.getw("$tt") .. " " ..
                   KSR.pv.getvn("$tt", 7) .. " " .. KSR.pv.getvs("$tt", "dflt") .. "\r\n")
    KSR.forward()
end
)lua",
                     withPv());
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:bob@example.com:5070";
    r.from = "\"Alice\" <sip:alice@atlanta.example.com>;tag=ftag1";
    r.to = "Bob <sip:bob@biloxi.example.com>";
    r.cseq = 17;
    r.extraHeaders =
        "User-Agent: pv-test/1\r\n"
        "X-Custom: hello world\r\n"
        "Proxy-Authorization: Digest username=\"alice\", realm=\"atlanta.example.com\", "
        "nonce=\"abc\", uri=\"sip:bob@example.com\", response=\"0123\"\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    auto pv = reported(*req);
    const std::string port = std::to_string(router.port());
    const std::map<std::string, std::string> want = {
        {"$rU", "string:bob"},
        {"$rd", "string:example.com"},
        {"$rp", "number:5070"},
        {"$ru", "string:sip:bob@example.com:5070"},
        {"$rz", "string:sip"},
        {"$du", "string:" + dst(uas) + ";transport=udp"},
        {"$dd", "string:127.0.0.1"},
        {"$dp", "number:" + std::to_string(uas.port())},
        {"$tU", "string:bob"},
        {"$td", "string:biloxi.example.com"},
        {"$tu", "string:sip:bob@biloxi.example.com"},
        {"$tn", "string:Bob"},
        {"$tt", "nil:nil"},
        {"$fU", "string:alice"},
        {"$fd", "string:atlanta.example.com"},
        {"$fu", "string:sip:alice@atlanta.example.com"},
        {"$fn", "string:\"Alice\""},
        {"$ft", "string:ftag1"},
        {"$au", "string:alice"},
        {"$ar", "string:atlanta.example.com"},
        {"$rm", "string:INVITE"},
        {"$rs", "nil:nil"},
        {"$rr", "nil:nil"},
        {"$ci", "string:" + r.callId},
        {"$cs", "string:17"},
        {"$si", "string:127.0.0.1"},
        {"$sp", "number:" + std::to_string(uac.port())},
        {"$Ri", "string:127.0.0.1"},
        {"$Rp", "number:" + port},
        {"$pr", "string:udp"},
        {"$ua", "string:pv-test/1"},
        {"$hdr(X-Custom)", "string:hello world"},
        {"$hdr(X-Absent)", "nil:nil"},
        {"$var(never_set)", "number:0"},
        {"$null", "nil:nil"},
    };
    for (const auto& [name, value] : want) EXPECT_EQ(pv[name], value) << name;
    EXPECT_EQ(pv.size(), want.size()) << req->text();
    EXPECT_EQ(req->header("X-Null"), "true,false");
    EXPECT_EQ(req->header("X-Gete"), "[] <<null>> 7 dflt");
}

TEST(PvKemi, DigestCredentialsOfARegisterComeFromAuthorization) {
    SipPeer uac, uas;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.setdsturi(")lua" +
                         dst(uas) + R"lua(")
    KSR.hdr.append("X-Au: " .. tostring(KSR.pv.get("$au")) .. " " ..
                   tostring(KSR.pv.get("$ar")) .. "\r\n")
    KSR.forward()
end
)lua",
                     withPv());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "REGISTER";
    r.ruri = "sip:example.com";
    r.extraHeaders =
        "Proxy-Authorization: Digest username=\"proxyuser\", realm=\"p\", nonce=\"n\", "
        "uri=\"sip:example.com\", response=\"1\"\r\n"
        "Authorization: Digest username=\"reguser\", realm=\"example.com\", nonce=\"n\", "
        "uri=\"sip:example.com\", response=\"1\"\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->header("X-Au"), "reguser example.com");
}

TEST(PvKemi, RequestUriAndDstUriWritesDecideWhereTheRequestGoes) {
    SipPeer uac, uasA, uasB;
    SipRouter router(R"lua(
function ksr_request_route()
    local mode = KSR.hdr.get("X-Mode")
    if mode == "ru" then
        KSR.pv.sets("$ru", "sip:carol@127.0.0.1:)lua" +
                         std::to_string(uasA.port()) + R"lua(")
    elseif mode == "du" then
        KSR.pv.sets("$du", ")lua" +
                         dst(uasB) + R"lua(")
        KSR.pv.sets("$rU", "dave")
        KSR.pv.sets("$rd", "dave.example.org")
    elseif mode == "unset" then
        KSR.pv.sets("$du", ")lua" +
                         dst(uasB) + R"lua(")
        KSR.pv.unset("$du")
        KSR.pv.sets("$rd", "127.0.0.1")
        KSR.pv.seti("$rp", )lua" +
                         std::to_string(uasA.port()) + R"lua()
    end
    KSR.hdr.append("X-Ru: " .. KSR.pv.get("$ru") .. "\r\n")
    if KSR.forward() < 0 then KSR.sl.sl_send_reply(500, "forward failed") end
end
)lua",
                     withPv());
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest a;
    a.ruri = "sip:bob@example.com";
    a.extraHeaders = "X-Mode: ru\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, a), router.port()));
    auto gotA = uasA.receiveCall(a.callId);
    ASSERT_TRUE(gotA) << router.log();
    EXPECT_EQ(gotA->requestUri(), "sip:carol@127.0.0.1:" + std::to_string(uasA.port()));
    EXPECT_EQ(gotA->header("X-Ru"), gotA->requestUri());

    SipRequest b;
    b.ruri = "sip:bob@example.com;user=phone";
    b.extraHeaders = "X-Mode: du\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, b), router.port()));
    auto gotB = uasB.receiveCall(b.callId);
    ASSERT_TRUE(gotB) << router.log();
    EXPECT_EQ(gotB->requestUri(), "sip:dave@dave.example.org;user=phone")
        << "$du is the next hop, the R-URI carries the rewritten user and host";

    SipRequest c;
    c.ruri = "sip:erin@example.com";
    c.extraHeaders = "X-Mode: unset\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, c), router.port()));
    auto gotC = uasA.receiveCall(c.callId);
    ASSERT_TRUE(gotC) << router.log();
    EXPECT_EQ(gotC->requestUri(), "sip:erin@127.0.0.1:" + std::to_string(uasA.port()))
        << "after unset($du) the rewritten R-URI is the next hop";
}

TEST(PvKemi, ScriptVariablesSurviveFromOneMessageToTheNext) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.pv.seti("$var(count)", KSR.pv.get("$var(count)") + 1)
    if KSR.pv.get("$var(count)") == 1 then KSR.pv.sets("$var(first)", KSR.pv.get("$ci")) end
    KSR.sl.sl_send_reply(200, "n=" .. KSR.pv.get("$var(count)") .. " first=" ..
                         KSR.pv.get("$var(first)"))
end
)lua",
                     withPv(1));
    ASSERT_TRUE(router.start()) << router.log();
    std::string firstCallId;
    for (int i = 1; i <= 3; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        if (i == 1) firstCallId = r.callId;
        auto resp = uac.receiveCall(r.callId);
        ASSERT_TRUE(resp) << router.log();
        EXPECT_EQ(resp->reason(), "n=" + std::to_string(i) + " first=" + firstCallId);
    }
}

TEST(PvKemi, SharedVariablesAreOneValueForEveryWorker) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    KSR.pv.seti("$shv(total)", KSR.pv.get("$shv(total)") + 1)
    KSR.pv.sets("$shv(last)", KSR.pv.get("$ci"))
    KSR.sl.sl_send_reply(200, KSR.pv.get("$shv(total)") .. " " .. KSR.pv.get("$shv(last)") ..
                         " " .. KSR.pv.get("$pp"))
end
)lua",
                     withPv(3));
    ASSERT_TRUE(router.start()) << router.log();
    std::set<std::string> pids;
    for (int i = 1; i <= 12; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        auto resp = uac.receiveCall(r.callId);
        ASSERT_TRUE(resp) << router.log();
        const std::string want = std::to_string(i) + " " + r.callId + " ";
        EXPECT_EQ(resp->reason().substr(0, want.size()), want);
        pids.insert(resp->reason().substr(want.size()));
    }
    // Which worker takes a datagram is the kernel's choice; the count above is right whichever
    // did. The unit test core_pv_shared_test proves the cross-process part on its own.
    EXPECT_GE(pids.size(), 1u);
}

TEST(PvKemi, BadNamesLogScriptLineAndGiveNil) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    local v = KSR.pv.get("$nope")
    local s = KSR.pv.sets("$fU", "x")
    local u = KSR.pv.sets("$hdr(bad name)", "x")
    KSR.sl.sl_send_reply(200, "v=" .. tostring(v) .. " s=" .. s .. " u=" .. u)
end
)lua",
                     withPv(1));
    ASSERT_TRUE(router.start()) << router.log();
    for (int i = 0; i < 2; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        auto resp = uac.receiveCall(r.callId);
        ASSERT_TRUE(resp) << router.log();
        EXPECT_EQ(resp->status(), 200);
        EXPECT_EQ(resp->reason(), "v=nil s=-1 u=-1");
    }
    EXPECT_NE(router.process().waitForLog("route.lua:3: KSR.pv.get: bad pseudo-variable name "
                                          "'$nope' (unknown pseudo-variable)"),
              std::string::npos)
        << router.log();
    EXPECT_NE(router.process().waitForLog("route.lua:4: KSR.pv.sets: '$fU' is read-only"),
              std::string::npos)
        << router.log();
    EXPECT_NE(router.process().waitForLog("route.lua:5: KSR.pv.sets: bad pseudo-variable name"),
              std::string::npos)
        << router.log();
}

TEST(PvKemi, WrongArgumentTypesAreALuaErrorNotACrash) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    if KSR.hdr.get("X-Bad") then KSR.pv.get({}) end
    KSR.sl.sl_send_reply(200, "fine")
end
)lua",
                     withPv(1));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest bad;
    bad.ruri = "sip:bob@example.com";
    bad.extraHeaders = "X-Bad: 1\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bad), router.port()));
    EXPECT_NE(router.process().waitForLog("bad argument #1 to 'KSR.pv.get'"), std::string::npos)
        << router.log();
    SipRequest good;
    good.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, good), router.port()));
    auto resp = uac.receiveCall(good.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "fine");
}

}  // namespace
}  // namespace osprey::testsupport
