// pike against the real router: an address that sends more than reqs_density_per_unit requests
// in a unit gets -2 once and then -1 while others still get 1 (IPv4 and IPv6); with early_drop
// its further messages are dropped before the script and still counted, and pike.top shows it.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/rpc_test_util.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

// Answers with pike's verdict in the reason phrase, so every request shows it.
constexpr const char* kScript = R"(
function ksr_request_route()
    local ip = KSR.hdr.get("X-Check-Ip")
    if ip ~= nil then
        KSR.sl.sl_send_reply(200, "ip " .. KSR.pike.pike_check_ip(ip))
        return
    end
    local r = KSR.pike.pike_check_req()
    if r < 0 then
        KSR.sl.sl_send_reply(503, "Blocked " .. r)
        return
    end
    KSR.sl.sl_send_reply(200, "OK " .. r)
end
)";

// A unit of an hour: no unit boundary falls inside a test run (but one in 3600).
SipRouterOptions pikeOptions(bool earlyDrop, bool ipv6 = false) {
    SipRouterOptions o;
    o.ipv6 = ipv6;
    o.controlSocket = true;
    o.modules +=
        ", { name = \"pike\"; params = { sampling_time_unit = 3600; "
        "reqs_density_per_unit = 5; remove_latency = 7200; early_drop = " +
        std::string(earlyDrop ? "true" : "false") + "; }; }";
    return o;
}

// Sends one OPTIONS and returns "<status> <reason>", or "" when nothing came back in waitMs.
std::string ask(SipPeer& peer, uint16_t port, int waitMs = 3000, const std::string& ip = "") {
    SipRequest r;
    if (!ip.empty()) r.extraHeaders = "X-Check-Ip: " + ip + "\r\n";
    r.ruri = "sip:" + std::string(peer.family() == AF_INET6 ? "[::1]" : "127.0.0.1") + ":" +
             std::to_string(port);
    const std::string req = buildRequest(peer, r);
    if (!peer.sendTo(req, port)) return "send failed";
    auto resp = peer.receiveMsg(waitMs);
    if (resp == nullptr) return "";
    return std::to_string(resp->status()) + " " + std::string(resp->reason());
}

rpc::Value pikeTop(SipRouter& r, const std::string& option) {
    RunResult res =
        runOsprey({"-c", r.process().dir().file("osprey.cfg"), "-j", "pike.top", option}, 10000,
                  ospreyctlBinary());
    EXPECT_EQ(res.exitCode, 0) << res.output;
    return parseJsonOutput(res.output);
}

TEST(PikeTest, FloodingSourceIsBlockedAtTheLimitOthersPass) {
    SipRouter router(kScript, pikeOptions(false));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer flooder("127.0.0.9");
    SipPeer normal;
    ASSERT_TRUE(flooder.ok());
    for (int i = 1; i <= 4; ++i) EXPECT_EQ(ask(flooder, router.port()), "200 OK 1") << i;
    EXPECT_EQ(ask(flooder, router.port()), "503 Blocked -2");
    EXPECT_EQ(ask(flooder, router.port()), "503 Blocked -1");
    EXPECT_EQ(ask(flooder, router.port()), "503 Blocked -1");
    for (int i = 0; i < 4; ++i) EXPECT_EQ(ask(normal, router.port()), "200 OK 1") << i;
    EXPECT_NE(router.log().find("PIKE - BLOCKing ip 127.0.0.9\n"), std::string::npos)
        << router.log();

    // Kamailio's answer shape: the blocked address is HOT, the other is not listed as HOT.
    rpc::Value top = pikeTop(router, "HOT");
    ASSERT_TRUE(top.isStruct()) << router.log();
    EXPECT_EQ(top.find("max_hits")->asInt(), 5);
    ASSERT_EQ(top.find("number_of_rows")->asInt(), 1);
    const rpc::Value& e = top.find("list")->items().at(0);
    EXPECT_EQ(e.find("ip_addr")->asString(), "127.0.0.9");
    EXPECT_EQ(e.find("leaf_hits_curr")->asInt(), 7);
    EXPECT_EQ(e.find("leaf_hits_prev")->asInt(), 0);
    EXPECT_EQ(e.find("status")->asString(), "HOT");
    EXPECT_GT(e.find("expires")->asInt(), 7000);
    rpc::Value all = pikeTop(router, "ALL");
    EXPECT_EQ(all.find("number_of_rows")->asInt(), 2);
    RunResult bad = runOsprey({"-c", router.process().dir().file("osprey.cfg"), "pike.top", "COLD"},
                              10000, ospreyctlBinary());
    EXPECT_NE(bad.output.find("Select: ALL, HOT or WARM"), std::string::npos) << bad.output;
}

TEST(PikeTest, Ipv6SourceIsCountedOnItsOwn) {
    SipRouter router(kScript, pikeOptions(false, true));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer v6(AF_INET6);
    SipPeer v4;
    for (int i = 1; i <= 4; ++i) EXPECT_EQ(ask(v6, router.port6()), "200 OK 1") << i;
    EXPECT_EQ(ask(v6, router.port6()), "503 Blocked -2");
    EXPECT_EQ(ask(v4, router.port()), "200 OK 1");
    rpc::Value top = pikeTop(router, "HOT");
    ASSERT_EQ(top.find("number_of_rows")->asInt(), 1);
    EXPECT_EQ(top.find("list")->items().at(0).find("ip_addr")->asString(), "::1");
}

TEST(PikeTest, CheckIpCountsTheAddressGiven) {
    SipRouter router(kScript, pikeOptions(false));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer uac;
    for (int i = 1; i <= 4; ++i)
        EXPECT_EQ(ask(uac, router.port(), 3000, "2001:db8::9"), "200 ip 1");
    EXPECT_EQ(ask(uac, router.port(), 3000, "2001:db8::9"), "200 ip -2");
    EXPECT_EQ(ask(uac, router.port(), 3000, "2001:db8::9"), "200 ip -1");
    EXPECT_EQ(ask(uac, router.port(), 3000, "192.0.2.1"), "200 ip 1");
    EXPECT_EQ(ask(uac, router.port(), 3000, "not an address"), "200 ip -1");
    // The address checked, not the sender, is what pike.top lists.
    rpc::Value top = pikeTop(router, "HOT");
    ASSERT_EQ(top.find("number_of_rows")->asInt(), 1);
    EXPECT_EQ(top.find("list")->items().at(0).find("ip_addr")->asString(), "2001:db8::9");
}

// The reference script's flood handling (kamailio-basic-kemi-lua.lua): a banned source is
// dropped at once, pike finds the flooder, the script bans it in the htable.
TEST(PikeTest, ReferenceScriptBansTheFlooderInTheHtableAndDropsIt) {
    constexpr const char* kReference = R"LUA(
function ksr_request_route()
    local srcip = KSR.pv.get("$si")
    if KSR.htable.sht_match_name("ipban", "eq", srcip) > 0 then
        KSR.x.exit()
    end
    if KSR.pike.pike_check_req() < 0 then
        KSR.err("ALERT: pike blocking " .. KSR.pv.get("$rm") .. " (IP:" .. srcip .. ")\n")
        KSR.htable.sht_seti("ipban", srcip, 1)
        KSR.x.exit()
    end
    KSR.sl.sl_send_reply(200, "OK")
end
)LUA";
    SipRouterOptions o = pikeOptions(false);
    o.modules +=
        ", { name = \"pv\"; }, { name = \"htable\"; params = { htable = "
        "\"ipban=>size=8;autoexpire=300;\"; }; }";
    SipRouter router(kReference, o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer flooder("127.0.0.9");
    SipPeer normal;
    for (int i = 1; i <= 4; ++i) EXPECT_EQ(ask(flooder, router.port()), "200 OK") << i;
    EXPECT_EQ(ask(flooder, router.port(), 300), "");  // the 5th: pike says -2, banned
    RunResult get = runOsprey(
        {"-c", router.process().dir().file("osprey.cfg"), "-j", "htable.get", "ipban", "127.0.0.9"},
        10000, ospreyctlBinary());
    rpc::Value item = parseJsonOutput(get.output);
    ASSERT_TRUE(item.isStruct()) << get.output;
    EXPECT_EQ(item.find("item")->find("value")->asInt(), 1) << get.output;
    EXPECT_EQ(ask(flooder, router.port(), 300), "");  // dropped by the ban
    EXPECT_EQ(ask(normal, router.port()), "200 OK");
    EXPECT_NE(router.log().find("ALERT: pike blocking OPTIONS (IP:127.0.0.9)"), std::string::npos)
        << router.log();
}

TEST(PikeTest, EarlyDropSilencesABlockedSourceAndKeepsCountingIt) {
    SipRouter router(kScript, pikeOptions(true));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer flooder("127.0.0.9");
    SipPeer normal;
    for (int i = 1; i <= 4; ++i) EXPECT_EQ(ask(flooder, router.port()), "200 OK 1") << i;
    EXPECT_EQ(ask(flooder, router.port()), "503 Blocked -2");  // the script still sees this one
    // From now on nothing of it reaches the script: no answer at all.
    for (int i = 0; i < 20; ++i) {
        SipRequest r;
        r.ruri = router.uri();
        ASSERT_TRUE(flooder.sendTo(buildRequest(flooder, r), router.port()));
    }
    EXPECT_EQ(ask(normal, router.port()), "200 OK 1");
    EXPECT_EQ(ask(flooder, router.port(), 300), "");
    // The dropped messages were counted as hits: 5 routed + 21 dropped.
    rpc::Value top = pikeTop(router, "HOT");
    ASSERT_EQ(top.find("number_of_rows")->asInt(), 1) << router.log();
    EXPECT_EQ(top.find("list")->items().at(0).find("leaf_hits_curr")->asInt(), 26);
    EXPECT_EQ(ask(normal, router.port()), "200 OK 1");
}

}  // namespace
}  // namespace osprey::testsupport
