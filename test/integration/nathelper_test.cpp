// nathelper end to end on loopback: the NAT detection bits, the Contact / SDP / alias rewrites a
// NATed user agent needs, registration fixed with the source address (lookup then delivers to
// where the REGISTER came from, not to the private Contact), and NAT keepalives (OPTIONS at
// the interval, a silent binding removed after keepalive_timeout). Private addresses such as
// 192.168.1.10 appear only inside messages: every datagram goes to 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "test/support/osprey_process.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

constexpr const char* kScript = R"(
local function relay()
    KSR.setdsturi("sip:127.0.0.1:" .. KSR.hdr.get("X-Dst"))
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end

function ksr_reply_route()
    if KSR.hdr.get("X-Op-Reply") == "alias" then KSR.nathelper.set_contact_alias() end
end

function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.nathelper.nat_uac_test(19) > 0 then KSR.nathelper.fix_nated_register() end
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return
    end
    local op = KSR.hdr.get("X-Op")
    if op == "test" then
        local rc = KSR.nathelper.nat_uac_test(tonumber(KSR.hdr.get("X-Bits")))
        KSR.sl.send_reply(200, "rc " .. rc)
    elseif op == "rfc1918" then
        KSR.sl.send_reply(200, "rc " .. KSR.nathelper.is_rfc1918(KSR.hdr.get("X-Addr")))
    elseif op == "fix" then
        KSR.nathelper.fix_nated_contact()
        KSR.nathelper.fix_nated_sdp(10)
        relay()
    elseif op == "alias" then
        KSR.hdr.append("X-Alias-Rc: " .. KSR.nathelper.add_contact_alias() .. "\r\n")
        relay()
    elseif op == "setalias" then
        KSR.nathelper.set_contact_alias()
        relay()
    elseif op == "stateful" then
        KSR.setdsturi("sip:127.0.0.1:" .. KSR.hdr.get("X-Dst"))
        if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    elseif op == "rcv" then
        KSR.nathelper.add_rcv_param(0)
        relay()
    elseif KSR.nathelper.handle_ruri_alias() == 1 then
        if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
    else
        local rc = KSR.registrar.lookup("location")
        if rc < 0 then
            KSR.sl.send_reply(404, "Not Found " .. rc)
            return
        end
        if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
    end
end
)";

SipRouterOptions options(const std::string& nathelperParams = "",
                         const std::string& usrlocParams = "") {
    SipRouterOptions o;
    o.controlSocket = true;
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"usrloc\"; params = { " +
        usrlocParams +
        " }; }, "
        "{ name = \"registrar\"; }, { name = \"tm\"; }, { name = \"nathelper\"; params = { " +
        nathelperParams + " }; }";
    return o;
}

const std::string kSdp =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.168.1.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

// Sends an OPTIONS that only the script's "test"/"rfc1918" branches answer; the reply's
// reason ("rc 1") is what the function returned.
std::string ask(SipRouter& r, SipPeer& uac, SipRequest req) {
    req.ruri = "sip:probe@example.com";
    if (!uac.sendTo(buildRequest(uac, req), r.port())) return "send failed";
    auto resp = uac.receiveCall(req.callId, 3000);
    return resp ? resp->reason() : "no answer";
}

std::string natTest(SipRouter& r, SipPeer& uac, unsigned bits, const std::string& headers,
                    const std::string& via = "", const std::string& body = "") {
    SipRequest req;
    req.extraHeaders = "X-Op: test\r\nX-Bits: " + std::to_string(bits) + "\r\n" + headers;
    req.via = via;
    if (!body.empty()) {
        req.body = body;
        req.extraHeaders += "Content-Type: application/sdp\r\n";
    }
    return ask(r, uac, req);
}

class NathelperTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(router.start()) << router.log(); }
    SipRouter router{kScript, options()};
    SipPeer uac, uas;
};

TEST_F(NathelperTest, NatUacTestBits) {
    const std::string self = uac.hostPort();
    const std::string viaPrivate =
        "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK" + uniqueToken("b") + ";rport";
    const std::string viaOwn =
        "SIP/2.0/UDP " + self + ";branch=z9hG4bK" + uniqueToken("b") + ";rport";
    // 1: private address in Contact.
    EXPECT_EQ(natTest(router, uac, 1, "Contact: <sip:a@192.168.1.10:5060>\r\n"), "rc 1");
    EXPECT_EQ(natTest(router, uac, 1, "Contact: <sip:a@" + self + ">\r\n"), "rc -1");
    // 2: Via sent-by is not the source address.
    EXPECT_EQ(natTest(router, uac, 2, "", viaPrivate), "rc 1");
    EXPECT_EQ(natTest(router, uac, 2, "", viaOwn), "rc -1");
    // 4: private top Via.
    EXPECT_EQ(natTest(router, uac, 4, "", viaPrivate), "rc 1");
    EXPECT_EQ(natTest(router, uac, 4, "", viaOwn), "rc -1");
    // 8: private SDP address.
    EXPECT_EQ(natTest(router, uac, 8, "", "", kSdp), "rc 1");
    std::string publicSdp = kSdp;
    publicSdp.replace(publicSdp.find("c=IN IP4 192.168.1.10"), 21, "c=IN IP4 127.0.0.1");
    EXPECT_EQ(natTest(router, uac, 8, "", "", publicSdp), "rc -1");
    // 16: source port is not the Via port.
    EXPECT_EQ(natTest(router, uac, 16, "", viaPrivate), "rc 1");  // Via says 5060
    EXPECT_EQ(natTest(router, uac, 16, "", viaOwn), "rc -1");
    // 32: the source address is private (127.0.0.1 is not); 64: WebSocket (none here).
    EXPECT_EQ(natTest(router, uac, 32 | 64, ""), "rc -1");
    // 128: source port is not the Contact port.
    EXPECT_EQ(natTest(router, uac, 128, "Contact: <sip:a@127.0.0.1:5060>\r\n"), "rc 1");
    EXPECT_EQ(natTest(router, uac, 128, "Contact: <sip:a@" + self + ">\r\n"), "rc -1");
    // 256: SDP session address is not the source address.
    EXPECT_EQ(natTest(router, uac, 256, "", "", kSdp), "rc 1");
    EXPECT_EQ(natTest(router, uac, 256, "", "", publicSdp), "rc -1");
    // Bits combine: any selected test that holds is enough.
    EXPECT_EQ(natTest(router, uac, 1 | 2 | 16, "Contact: <sip:a@" + self + ">\r\n", viaPrivate),
              "rc 1");
    EXPECT_EQ(natTest(router, uac, 1 | 2 | 16, "Contact: <sip:a@" + self + ">\r\n", viaOwn),
              "rc -1");
}

TEST_F(NathelperTest, IsRfc1918KnowsThePrivateRanges) {
    auto rc = [&](const std::string& a) {
        SipRequest req;
        req.extraHeaders = "X-Op: rfc1918\r\nX-Addr: " + a + "\r\n";
        return ask(router, uac, req);
    };
    for (const char* a : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.10", "100.64.0.1",
                          "100.127.255.255", "192.0.0.5"})
        EXPECT_EQ(rc(a), "rc 1") << a;
    for (const char* a : {"172.32.0.1", "100.128.0.1", "8.8.8.8", "127.0.0.1", "sip.example.com"})
        EXPECT_EQ(rc(a), "rc -1") << a;
}

// The request a relaying branch of the script sends on to `uas`.
std::unique_ptr<ReceivedMsg> relayed(SipRouter& r, SipPeer& uac, SipPeer& uas,
                                     const std::string& op, const std::string& contact,
                                     const std::string& body = "") {
    SipRequest req;
    req.method = "INVITE";
    req.ruri = "sip:bob@example.com";
    req.extraHeaders = "X-Op: " + op + "\r\nX-Dst: " + std::to_string(uas.port()) +
                       "\r\nContact: " + contact + "\r\n";
    if (!body.empty()) {
        req.body = body;
        req.extraHeaders += "Content-Type: application/sdp\r\n";
    }
    if (!uac.sendTo(buildRequest(uac, req), r.port())) return nullptr;
    return uas.receiveCall(req.callId, 3000);
}

TEST_F(NathelperTest, FixNatedContactAndSdpRewriteToTheSource) {
    auto in = relayed(router, uac, uas, "fix",
                      "<sip:alice@192.168.1.10:5060;maddr=192.168.1.1;transport=udp>", kSdp);
    ASSERT_TRUE(in) << router.log();
    ASSERT_TRUE(in->parsed());
    EXPECT_EQ(in->header("Contact"), "<sip:alice@" + uac.hostPort() + ";transport=udp>");
    const std::string& t = in->text();
    const std::string body = t.substr(t.find("\r\n\r\n") + 4);
    EXPECT_NE(body.find("c=IN IP4 127.0.0.1\r\n"), std::string::npos) << body;
    EXPECT_NE(body.find("o=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\n"), std::string::npos)
        << body;
    EXPECT_EQ(body.find("IN IP4 192.168.1.10"), std::string::npos) << body;
    EXPECT_NE(body.find("a=oldmediaip:192.168.1.10\r\n"), std::string::npos) << body;
    EXPECT_EQ(std::to_string(body.size()), in->header("Content-Length"));
}

TEST_F(NathelperTest, ContactAliasRoundTrip) {
    // add_contact_alias: the source address rides along in the Contact.
    auto in = relayed(router, uac, uas, "alias", "sip:bob@192.168.1.10:5060");
    ASSERT_TRUE(in) << router.log();
    EXPECT_EQ(in->header("Contact"),
              "<sip:bob@192.168.1.10:5060;alias=127.0.0.1~" + std::to_string(uac.port()) + "~1>");
    EXPECT_EQ(in->header("X-Alias-Rc"), "1");
    // A Contact that is the source already needs none (2).
    auto same = relayed(router, uac, uas, "alias", "<sip:bob@" + uac.hostPort() + ">");
    ASSERT_TRUE(same) << router.log();
    EXPECT_EQ(same->header("Contact"), "<sip:bob@" + uac.hostPort() + ">");
    EXPECT_EQ(same->header("X-Alias-Rc"), "2");
    // set_contact_alias: always, at the end of the URI.
    auto set = relayed(router, uac, uas, "setalias", "<sip:bob@192.168.1.10:5060;transport=udp>");
    ASSERT_TRUE(set) << router.log();
    EXPECT_EQ(set->header("Contact"), "<sip:bob@192.168.1.10:5060;transport=udp;alias=127.0.0.1~" +
                                          std::to_string(uac.port()) + "~1>");

    // handle_ruri_alias: a request to the aliased Contact goes to the alias address, with the
    // parameter removed; never to 192.168.1.10.
    SipRequest req;
    req.method = "BYE";
    req.ruri = "sip:bob@192.168.1.10:5060;alias=127.0.0.1~" + std::to_string(uas.port()) + "~1";
    uac.sendTo(buildRequest(uac, req), router.port());
    auto bye = uas.receiveCall(req.callId, 3000);
    ASSERT_TRUE(bye) << router.log();
    EXPECT_EQ(bye->requestUri(), "sip:bob@192.168.1.10:5060");
}

// A reply relayed by tm: set_contact_alias in the reply route reaches the caller, as the
// reference script uses it for answers from NATed callees.
TEST_F(NathelperTest, ContactAliasOnARelayedReply) {
    auto inv = relayed(router, uac, uas, "stateful", "<sip:alice@" + uac.hostPort() + ">");
    ASSERT_TRUE(inv) << router.log();
    uas.sendBack(buildResponse(*inv, 200, "OK", "uas-tag",
                               "Contact: <sip:bob@192.168.1.20:5060>\r\nX-Op-Reply: alias\r\n"),
                 *inv);
    std::unique_ptr<ReceivedMsg> ok;
    for (int i = 0; i < 5 && !ok; ++i) {
        auto m = uac.receiveCall(inv->header("Call-ID"), 2000);
        if (m && m->status() == 200) ok = std::move(m);
    }
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->header("Contact"),
              "<sip:bob@192.168.1.20:5060;alias=127.0.0.1~" + std::to_string(uas.port()) + "~1>");
}

TEST_F(NathelperTest, AddRcvParamNamesTheSource) {
    auto in = relayed(router, uac, uas, "rcv", "<sip:carol@192.168.1.10:5060>;expires=60");
    ASSERT_TRUE(in) << router.log();
    EXPECT_EQ(in->header("Contact"),
              "<sip:carol@192.168.1.10:5060>;expires=60;received=\"sip:" + uac.hostPort() + "\"");
}

std::unique_ptr<ReceivedMsg> registerFrom(SipRouter& r, SipPeer& ua, const std::string& user,
                                          const std::string& contact, const std::string& via) {
    SipRequest req;
    req.method = "REGISTER";
    req.ruri = "sip:example.com";
    req.to = "<sip:" + user + "@example.com>";
    req.from = req.to + ";tag=" + uniqueToken("t");
    req.via = via;
    req.extraHeaders = "Contact: " + contact + "\r\nExpires: 300\r\n";
    if (!ua.sendTo(buildRequest(ua, req), r.port())) return nullptr;
    return ua.receiveCall(req.callId, 3000);
}

std::string sendMessage(SipRouter& r, SipPeer& uac, const std::string& user) {
    SipRequest req;
    req.method = "MESSAGE";
    req.ruri = "sip:" + user + "@example.com";
    req.body = "hi";
    req.extraHeaders = "Content-Type: text/plain\r\n";
    uac.sendTo(buildRequest(uac, req), r.port());
    return req.callId;
}

TEST_F(NathelperTest, NatedRegistrationIsReachedAtItsSourceAddress) {
    // The phone sits behind a NAT: its REGISTER names 192.168.1.10 in Via and Contact, and
    // arrives from 127.0.0.1:<phone port> (the NAT's mapping).
    SipPeer phone;
    const std::string via =
        "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK" + uniqueToken("b") + ";rport";
    auto ok = registerFrom(router, phone, "carol", "<sip:carol@192.168.1.10:5060>", via);
    ASSERT_TRUE(ok) << router.log();
    ASSERT_EQ(ok->status(), 200) << ok->text();

    const std::string callId = sendMessage(router, uac, "carol");
    auto in = phone.receiveCall(callId, 3000);
    ASSERT_TRUE(in) << router.log();
    EXPECT_EQ(in->requestUri(), "sip:carol@192.168.1.10:5060");

    // Without NAT detection firing no `received` is kept: the request goes to the Contact
    // (here another local peer), not to where the REGISTER came from.
    SipPeer desk, deskPhone;
    const std::string ownVia =
        "SIP/2.0/UDP " + desk.hostPort() + ";branch=z9hG4bK" + uniqueToken("b") + ";rport";
    auto ok2 =
        registerFrom(router, desk, "dave", "<sip:dave@" + deskPhone.hostPort() + ">", ownVia);
    ASSERT_TRUE(ok2) << router.log();
    ASSERT_EQ(ok2->status(), 200);
    const std::string callId2 = sendMessage(router, uac, "dave");
    auto in2 = deskPhone.receiveCall(callId2, 3000);
    ASSERT_TRUE(in2) << router.log();
    EXPECT_EQ(in2->requestUri(), "sip:dave@" + deskPhone.hostPort());
}

// Keepalives: one registered phone answers the OPTIONS pings, one stays silent. (tm is loaded,
// as in Kamailio's reference script: the answers are not taken for its transactions.)
TEST(NathelperKeepalive, PingedAtTheIntervalSilentOneRemoved) {
    SipRouter router(kScript,
                     options("natping_interval = 1; sipping_bflag = 7; keepalive_timeout = 3; "
                             "sipping_from = \"sip:pinger@example.com\";"));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer live, silent, uac;
    auto viaOf = [](SipPeer& p) {
        return "SIP/2.0/UDP " + p.hostPort() + ";branch=z9hG4bK" + uniqueToken("b") + ";rport";
    };
    auto r1 = registerFrom(router, live, "live", "<sip:live@" + live.hostPort() + ">", viaOf(live));
    auto r2 = registerFrom(router, silent, "silent", "<sip:silent@" + silent.hostPort() + ">",
                           viaOf(silent));
    ASSERT_TRUE(r1 && r2) << router.log();
    ASSERT_EQ(r1->status(), 200);
    ASSERT_EQ(r2->status(), 200);

    // The live phone gets OPTIONS for its binding, about a second apart, and answers them.
    using Clock = std::chrono::steady_clock;
    Clock::time_point first;
    int pings = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(8);
    while (pings < 3 && Clock::now() < deadline) {
        auto p = live.receiveMsg(2500);
        if (!p || !p->isRequest()) continue;
        ASSERT_EQ(p->method(), "OPTIONS");
        EXPECT_EQ(p->requestUri(), "sip:live@" + live.hostPort());
        EXPECT_NE(p->header("From").find("<sip:pinger@example.com>;tag=nhp"), std::string::npos);
        if (pings == 0) first = Clock::now();
        if (pings == 1) {
            // One interval, not a burst (the pinger spreads its work over the interval).
            EXPECT_GE(Clock::now() - first, std::chrono::milliseconds(500));
        }
        ++pings;
        live.sendBack(buildResponse(*p, 200, "OK"), *p);
    }
    ASSERT_EQ(pings, 3) << router.log();

    // The silent one is removed after keepalive_timeout; the live one stays.
    bool removed = false;
    for (int i = 0; i < 40 && !removed; ++i) {
        SipPeer asker;
        const std::string cid = sendMessage(router, asker, "silent");
        auto resp = asker.receiveCall(cid, 500);
        removed = resp && resp->status() == 404;
        if (!removed) silent.receiveMsg(200);  // drain (pings and the MESSAGE), bounded
    }
    EXPECT_TRUE(removed) << router.log();
    const std::string cid = sendMessage(router, uac, "live");
    std::unique_ptr<ReceivedMsg> msg;
    for (int i = 0; i < 10 && !msg; ++i) {
        auto m = live.receiveMsg(1000);
        if (m && m->isRequest() && m->method() == "OPTIONS") {
            live.sendBack(buildResponse(*m, 200, "OK"), *m);
            continue;
        }
        if (m && m->header("Call-ID") == cid) msg = std::move(m);
    }
    EXPECT_TRUE(msg) << "the answering binding was removed\n" << router.log();

    StatsReader stats;
    auto v = stats.waitFor(router.process(), [](const StatsReader::Values& v) {
        return StatsReader::get(v, "nathelper:natping_timeouts") >= 1 &&
               StatsReader::get(v, "nathelper:natping_answered") >= 3;
    });
    EXPECT_GE(StatsReader::get(v, "nathelper:natping_sent"), 5);
    EXPECT_GE(StatsReader::get(v, "nathelper:natping_answered"), 3);
    EXPECT_EQ(StatsReader::get(v, "nathelper:natping_timeouts"), 1);
}

// Without sipping_bflag the keepalive is Kamailio's 4-byte UDP datagram.
TEST(NathelperKeepalive, UdpPingWithoutSipFlag) {
    SipRouter router(kScript, options("natping_interval = 1;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer phone;
    const std::string via =
        "SIP/2.0/UDP " + phone.hostPort() + ";branch=z9hG4bK" + uniqueToken("b") + ";rport";
    auto ok = registerFrom(router, phone, "udp", "<sip:udp@" + phone.hostPort() + ">", via);
    ASSERT_TRUE(ok && ok->status() == 200) << router.log();
    std::unique_ptr<ReceivedMsg> ping;
    for (int i = 0; i < 5 && !ping; ++i) {
        auto m = phone.receiveMsg(1500);
        if (m && m->text().size() == 4) ping = std::move(m);
    }
    ASSERT_TRUE(ping) << router.log();
    EXPECT_EQ(ping->text(), std::string(4, '\0'));
}

// ping_nated_only: only bindings with usrloc's nat_bflag are pinged, with OPTIONS when they also
// carry the sipping_bflag, else 4 bytes. The flags are given through ul.add.
TEST(NathelperKeepalive, FlagsChooseWhoIsPingedAndHow) {
    SipRouter router(kScript, options("natping_interval = 1; ping_nated_only = 1; "
                                      "sipping_bflag = 7; sipping_from = \"sip:p@example.com\";",
                                      "nat_bflag = 6;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer sipPinged, udpPinged, notPinged;
    auto add = [&](const std::string& user, SipPeer& p, int flags) {
        RunResult r =
            runOsprey({"-c", router.process().dir().file("osprey.cfg"), "ul.add", "location", user,
                       "sip:" + user + "@" + p.hostPort(), "300", "1", "", std::to_string(flags)},
                      10000, OSPREY_BUILD_DIR "/ospreyctl");
        return r.exitCode == 0 ? std::string() : r.output;
    };
    ASSERT_EQ(add("sipnat", sipPinged, (1 << 6) | (1 << 7)), "");
    ASSERT_EQ(add("udpnat", udpPinged, 1 << 6), "");
    ASSERT_EQ(add("direct", notPinged, 1 << 7), "");

    auto first = [](SipPeer& p) {
        for (int i = 0; i < 4; ++i)
            if (auto m = p.receiveMsg(1000)) return m;
        return std::unique_ptr<ReceivedMsg>();
    };
    auto sip = first(sipPinged);
    ASSERT_TRUE(sip) << router.log();
    EXPECT_EQ(sip->method(), "OPTIONS");
    EXPECT_EQ(sip->requestUri(), "sip:sipnat@" + sipPinged.hostPort());
    auto udp = first(udpPinged);
    ASSERT_TRUE(udp) << router.log();
    EXPECT_EQ(udp->text(), std::string(4, '\0'));
    // Two more intervals: the binding without the NAT flag still got nothing.
    EXPECT_FALSE(notPinged.receiveMsg(2000)) << "a binding without nat_bflag was pinged";
}

RunResult ctl(SipRouter& r, std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", r.process().dir().file("osprey.cfg")});
    return runOsprey(args, 10000, OSPREY_BUILD_DIR "/ospreyctl");
}

// nathelper.enable_ping 0 stops the keepalives, 1 starts them again (Kamailio's RPC).
TEST(NathelperKeepalive, EnablePingSwitch) {
    SipRouter router(kScript, options("natping_interval = 1;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer phone;
    ASSERT_EQ(
        ctl(router, {"ul.add", "location", "sw", "sip:sw@" + phone.hostPort(), "300"}).exitCode, 0);
    ASSERT_TRUE(phone.receiveMsg(3000)) << router.log();
    ASSERT_EQ(ctl(router, {"nathelper.enable_ping", "0"}).exitCode, 0);
    while (phone.receiveMsg(300)) {
    }  // one may have been on its way
    EXPECT_FALSE(phone.receiveMsg(2500)) << "pinged while switched off";
    ASSERT_EQ(ctl(router, {"nathelper.enable_ping", "1"}).exitCode, 0);
    EXPECT_TRUE(phone.receiveMsg(3000)) << router.log();
}

TEST_F(NathelperTest, EnablePingWithoutPingingIsAFault) {
    RunResult r = ctl(router, {"nathelper.enable_ping", "1"});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.output.find("NATping disabled"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace osprey::testsupport
