// KSR.sanity end to end against the real osprey: a script in the style of Kamailio's KEMI
// examples calls sanity_check(30695, 7) and answers 200 when it passes; each failing check
// gets its status, reason and (420) Unsupported header over UDP; ACKs are never answered;
// noreply + sanity_reply; the proxy_require parameter; and every RFC 4475 message through
// sanity leaves both workers serving.
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test/support/read_file.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

// INFO also asks for check 8 (Via SIP version), which 30695 leaves out as Kamailio's does.
const char* kSanityScript = R"(
function ksr_request_route()
    local mflags = 30695
    if KSR.is_INFO() then mflags = mflags + 8 end
    if KSR.sanity.sanity_check(mflags, 7) < 0 then
        KSR.x.exit()
    end
    KSR.sl.sl_send_reply(200, "Sane")
end
)";

SipRouterOptions withSanity(const std::string& params = "", unsigned children = 2) {
    SipRouterOptions o;
    o.children = children;
    o.modules = "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"sanity\"; params = { " +
                params + " }; }";
    return o;
}

// Sends the request and returns the answer to its Call-ID (nullptr when none came).
std::unique_ptr<ReceivedMsg> ask(SipPeer& uac, SipRouter& router, SipRequest& r,
                                 int timeoutMs = 3000) {
    if (!uac.sendTo(buildRequest(uac, r), router.port())) return nullptr;
    return uac.receiveCall(r.callId, timeoutMs);
}

std::unique_ptr<ReceivedMsg> askText(SipPeer& uac, SipRouter& router, const std::string& text,
                                     const std::string& callId) {
    if (!uac.sendTo(text, router.port())) return nullptr;
    return uac.receiveCall(callId, 3000);
}

SipRequest invite(const SipRouter& router) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:bob@127.0.0.1:" + std::to_string(router.port());
    return r;
}

TEST(Sanity, AValidRequestPassesAndGetsTheScriptsAnswer) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r = invite(router);
    r.extraHeaders =
        "Contact: <sip:alice@" + uac.hostPort() +
        ">\r\nExpires: 300\r\n"
        "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n\", "
        "uri=\"sip:bob@example.com\", response=\"6629fae49393a05397450978507c4ef1\"\r\n";
    r.body = "v=0\r\n";
    auto resp = ask(uac, router, r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_EQ(resp->reason(), "Sane");
}

struct Failure {
    const char* what;
    std::string extraHeaders;
    std::string from;
    std::string to;
    int status;
    const char* reason;
};

TEST(Sanity, EachCheckTheCoreLeavesToTheScriptAnswersWithKamailiosReply) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    const std::string digestNoNonce =
        "Authorization: Digest username=\"alice\", realm=\"example.com\", uri=\"sip:x\", "
        "response=\"6629fae49393a05397450978507c4ef1\"\r\n";
    const Failure cases[] = {
        {"Expires", "Expires: soon\r\n", "", "", 400, "Expires value is illegal"},
        {"Expires 2**32", "Expires: 4294967296\r\n", "", "", 400, "Expires value is illegal"},
        {"From URI", "", "<sip:alice@[::1>;tag=x1", "", 400, "Bad From URI"},
        {"From header", "", "Alice <sip:alice@example.com", "", 400, "Invalid From Header"},
        {"To URI", "", "", "<sip:bob@example.com:99999>", 400, "Bad To URI"},
        {"To tags", "", "", "<sip:bob@example.com>;tag=a;tag=b", 400, "Many To Tag Params"},
        {"From tags", "", "<sip:alice@example.com>;tag=a;tag=b", "", 400, "Many From Tag Params"},
        {"credentials", digestNoNonce, "", "", 400, "Auth Empty Nonce"},
        {"Proxy-Require", "Proxy-Require: foo\r\n", "", "", 420, "Bad Extension"},
    };
    for (const Failure& f : cases) {
        SipRequest r = invite(router);
        r.extraHeaders = f.extraHeaders;
        r.from = f.from;
        r.to = f.to;
        auto resp = ask(uac, router, r);
        ASSERT_TRUE(resp) << f.what << "\n" << router.log();
        EXPECT_EQ(resp->status(), f.status) << f.what;
        EXPECT_EQ(resp->reason(), f.reason) << f.what;
        EXPECT_EQ(resp->header("CSeq"), "1 INVITE") << f.what;
    }
}

TEST(Sanity, ProxyRequireListsEveryUnsupportedOptionIn420) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity("proxy_require = \"sec-agree, 100rel\";"));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest ok = invite(router);
    ok.extraHeaders = "Proxy-Require: sec-agree\r\nProxy-Require: 100rel\r\n";
    auto pass = ask(uac, router, ok);
    ASSERT_TRUE(pass) << router.log();
    EXPECT_EQ(pass->status(), 200);

    SipRequest bad = invite(router);
    bad.extraHeaders = "Proxy-Require: foo, sec-agree\r\nProxy-Require: bar\r\n";
    auto resp = ask(uac, router, bad);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 420);
    EXPECT_EQ(resp->reason(), "Bad Extension");
    EXPECT_EQ(resp->header("Unsupported"), "foo, bar") << resp->text();
}

TEST(Sanity, ContentLengthMustMatchTheDatagram) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r = invite(router);
    r.body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";
    std::string text = buildRequest(uac, r);
    const std::string cl = "Content-Length: " + std::to_string(r.body.size());
    text.replace(text.find(cl), cl.size(), "Content-Length: 5");  // fewer than are there
    auto resp = askText(uac, router, text, r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 400);
    EXPECT_EQ(resp->reason(), "Content-Length mis-match");
}

TEST(Sanity, OverTcpTheFramedBodyPassesAndFailuresAreAnsweredOnTheConnection) {
    SipRouterOptions o = withSanity();
    o.tcp = true;
    SipRouter router(kSanityScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn conn(router.tcpPort());
    ASSERT_TRUE(conn.ok());
    SipRequest r;
    r.method = "MESSAGE";
    r.ruri = "sip:bob@127.0.0.1:" + std::to_string(router.tcpPort()) + ";transport=tcp";
    r.body = "hello over a stream";
    ASSERT_TRUE(conn.send(buildTcpRequest(conn, r)));
    auto pass = conn.receiveCall(r.callId, 3000);
    ASSERT_TRUE(pass) << router.log();
    EXPECT_EQ(pass->status(), 200);

    SipRequest bad = r;
    bad.via.clear();
    bad.callId.clear();
    bad.from.clear();
    bad.extraHeaders = "Proxy-Require: foo\r\n";
    ASSERT_TRUE(conn.send(buildTcpRequest(conn, bad)));
    auto resp = conn.receiveCall(bad.callId, 3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 420);
    EXPECT_EQ(resp->header("Unsupported"), "foo");
}

TEST(Sanity, ViaVersionIsCheckedWhenAskedFor) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    for (const char* method : {"OPTIONS", "INFO"}) {
        SipRequest r = invite(router);
        r.method = method;
        r.via = "SIP/3.0/UDP " + uac.hostPort() + ";branch=" + uniqueToken("z9hG4bK") + ";rport";
        auto resp = ask(uac, router, r);
        ASSERT_TRUE(resp) << method << "\n" << router.log();
        if (std::string(method) == "OPTIONS") {
            EXPECT_EQ(resp->status(), 200) << "30695 does not include check 8";
        } else {
            EXPECT_EQ(resp->status(), 505);
            EXPECT_EQ(resp->reason(), "Version Not Supported (Via)");
        }
    }
}

// Version, scheme, missing headers and CSeq are checked by the core before any script runs
// (core/route/basic_check.h); the answers are the same codes sanity would give.
TEST(Sanity, FailuresTheCoreCatchesFirstGetTheSameStatus) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    struct Case {
        std::string from, to;
        int status;
    };
    const Case cases[] = {
        {" SIP/2.0\r\n", " SIP/7.0\r\n", 505},  {"INVITE sip:", "INVITE nobarrier:", 416},
        {"CSeq: 1 INVITE", "CSeq: 1 BYE", 400}, {"CSeq: 1 INVITE", "CSeq: 4294967296 INVITE", 400},
        {"Call-ID: ", "X-Call-ID: ", 400},
    };
    for (const Case& c : cases) {
        SipRequest r = invite(router);
        std::string t = buildRequest(uac, r);
        const size_t at = t.find(c.from);
        ASSERT_NE(at, std::string::npos) << c.from;
        t.replace(at, c.from.size(), c.to);
        ASSERT_TRUE(uac.sendTo(t, router.port()));
        // Without a Call-ID the answer cannot be matched by it: take the next message.
        auto resp = c.from == "Call-ID: " ? uac.receiveMsg(3000) : uac.receiveCall(r.callId, 3000);
        ASSERT_TRUE(resp) << c.to << "\n" << router.log();
        EXPECT_EQ(resp->status(), c.status) << c.to;
    }
}

TEST(Sanity, AFailingAckIsNeverAnswered) {
    SipPeer uac;
    SipRouter router(kSanityScript, withSanity("", 1));  // one worker: answers come in order
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest ack = invite(router);
    ack.method = "ACK";
    ack.extraHeaders = "Expires: soon\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, ack), router.port()));
    SipRequest ping = invite(router);
    ping.method = "OPTIONS";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, ping), router.port()));
    auto first = uac.receiveMsg(3000);
    ASSERT_TRUE(first) << router.log();
    EXPECT_EQ(first->header("Call-ID"), ping.callId) << "the ACK was answered: " << first->text();
    EXPECT_EQ(first->status(), 200);
}

TEST(Sanity, NoreplyLeavesTheAnswerToSanityReply) {
    SipPeer uac;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_INFO() then
        KSR.sanity.sanity_reply()   -- nothing failed on this message: 500
        return
    end
    if KSR.sanity.sanity_check(30695, 7) < 0 then
        if KSR.is_MESSAGE() then KSR.sanity.sanity_reply() end
        KSR.x.exit()
    end
    KSR.sl.sl_send_reply(200, "Sane")
end
)",
                     withSanity("noreply = 1;", 1));
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest silent = invite(router);  // fails, the script does not answer
    silent.method = "OPTIONS";
    silent.extraHeaders = "Proxy-Require: foo\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, silent), router.port()));

    SipRequest msg = invite(router);
    msg.method = "MESSAGE";
    msg.extraHeaders = "Proxy-Require: foo\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, msg), router.port()));
    auto resp = uac.receiveMsg(3000);  // one worker: the OPTIONS would have been answered first
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->header("Call-ID"), msg.callId) << "the failed OPTIONS was answered";
    EXPECT_EQ(resp->status(), 420);
    EXPECT_EQ(resp->header("Unsupported"), "foo");

    SipRequest info = invite(router);
    info.method = "INFO";
    auto fallback = ask(uac, router, info);
    ASSERT_TRUE(fallback) << router.log();
    EXPECT_EQ(fallback->status(), 500);
    EXPECT_EQ(fallback->reason(), "Server Sanity Failure");
}

TEST(Sanity, DefaultsComeFromTheModuleParameters) {
    SipPeer uac;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.sanity.sanity_check_defaults() < 0 then KSR.x.exit() end
    KSR.sl.sl_send_reply(200, "Sane")
end
)",
                     withSanity("default_checks = 1024; uri_checks = 2;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest expires = invite(router);  // 256 is not among the defaults now
    expires.extraHeaders = "Expires: soon\r\n";
    auto pass = ask(uac, router, expires);
    ASSERT_TRUE(pass) << router.log();
    EXPECT_EQ(pass->status(), 200);
    SipRequest to = invite(router);  // uri_checks 2: From only
    to.to = "<sip:bob@example.com:99999>";
    auto pass2 = ask(uac, router, to);
    ASSERT_TRUE(pass2) << router.log();
    EXPECT_EQ(pass2->status(), 200);
    SipRequest from = invite(router);
    from.from = "<sip:alice@[::1>;tag=f";
    auto resp = ask(uac, router, from);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 400);
    EXPECT_EQ(resp->reason(), "Bad From URI");
}

TEST(Sanity, ABadProxyRequireParameterStopsTheStart) {
    SipRouter router(kSanityScript, withSanity("proxy_require = \"foo bar\";"));
    EXPECT_FALSE(router.start());
    EXPECT_NE(router.log().find("proxy_require: 'foo bar' is not an option tag"), std::string::npos)
        << router.log();
}

TEST(Sanity, FlagsOutOfRangeAreAScriptErrorNotAReply) {
    SipPeer uac;
    SipRouter router(R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, tostring(KSR.sanity.sanity_check(65536, 7)))
end
)",
                     withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r = invite(router);
    auto resp = ask(uac, router, r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_EQ(resp->reason(), "-1");
    EXPECT_NE(router.log().find("sanity_check(65536, 7): flags out of range"), std::string::npos);
}

std::vector<std::string> tortureTexts() {
    std::vector<std::string> names;
    const std::string dir = OSPREY_SOURCE_DIR "/test/data/rfc4475";
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 4 && n.substr(n.size() - 4) == ".dat") names.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> out;
    for (const std::string& f : names) out.push_back(readFile(f));
    return out;
}

TEST(Sanity, EveryRfc4475MessageThroughSanityLeavesTheWorkersServing) {
    SipPeer attacker, prober;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.sanity.sanity_check(32767, 15) < 0 then KSR.x.exit() end
    KSR.sl.sl_send_reply(200, "Sane")
end
)",
                     withSanity());
    ASSERT_TRUE(router.start()) << router.log();
    std::vector<int> pids = router.workerPids();
    std::sort(pids.begin(), pids.end());
    const std::vector<std::string> texts = tortureTexts();
    ASSERT_EQ(texts.size(), 49u);
    for (size_t i = 0; i < texts.size(); ++i) {
        ASSERT_TRUE(attacker.sendTo(texts[i], router.port())) << i;
        for (int k = 0; k < 4; ++k) {  // both workers, twice each on average
            SipRequest ping = invite(router);
            ping.method = "OPTIONS";
            auto resp = ask(prober, router, ping);
            ASSERT_TRUE(resp) << "after message " << i << "\n" << router.log();
            ASSERT_EQ(resp->status(), 200);
        }
    }
    std::vector<int> after = router.workerPids();
    std::sort(after.begin(), after.end());
    EXPECT_EQ(after, pids) << router.log();
    EXPECT_EQ(router.process().countInLog("terminated by signal"), 0u) << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
