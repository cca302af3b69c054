// Digest authentication end to end with the real osprey on loopback: challenges (401 for
// REGISTER, 407 otherwise), correct and wrong responses, stale and replayed nonces, SHA-256,
// consume_credentials on a forwarded request, and many malformed credentials that must be
// answered (never crash a worker). Client responses are computed here with OpenSSL's one-shot
// EVP_Digest, independently of the module's code.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/sip/digest.h"
#include "core/sip/text.h"
#include "test/integration/auth_test_util.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

// The canonical script; "X-Report" asks for pv_auth_check's code in the reason phrase instead.
std::string authScript(const std::string& forwardTo = "") {
    std::string s = R"(
function ksr_request_route()
    if KSR.hdr.is_present("X-Has") > 0 then
        KSR.sl.send_reply(200, "has=" .. KSR.auth.has_credentials("example.com"))
        return
    end
    local rc = KSR.auth.pv_auth_check("example.com", "secret", 0, 0)
    if KSR.hdr.is_present("X-Report") > 0 then
        KSR.sl.send_reply(rc > 0 and 200 or 403, "rc=" .. rc)
        return
    end
    if rc < 0 then
        KSR.auth.auth_challenge("example.com", 1)
        return
    end
)";
    if (!forwardTo.empty()) {
        s += "    KSR.auth.consume_credentials()\n    KSR.setdsturi(\"" + forwardTo +
             "\")\n    KSR.forward()\n    return\n";
    }
    s += "    KSR.sl.send_reply(200, \"OK\")\nend\n";
    return s;
}

SipRouterOptions authOptions(const std::string& params = "") {
    SipRouterOptions o;
    o.modules = "{ name = \"sl\"; }, { name = \"auth\"; params = { " + params + " }; }";
    return o;
}

TEST(Auth, RegisterIsChallengedWith401ThenAccepted) {
    SipRouter router(authScript(), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    auto resp = ua.send("REGISTER", "");
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 401);
    EXPECT_EQ(resp->reason(), "Unauthorized");
    EXPECT_FALSE(resp->has("Proxy-Authenticate"));
    EXPECT_NE(resp->header("To").find(";tag="), std::string::npos);
    auto cs = challengesOf(*resp, "WWW-Authenticate");
    ASSERT_EQ(cs.size(), 1u) << resp->text();
    EXPECT_EQ(cs[0].header.rfind("Digest realm=\"example.com\", nonce=\"", 0), 0u) << cs[0].header;
    EXPECT_EQ(cs[0].realm, "example.com");
    EXPECT_EQ(cs[0].nonce.size(), 32u);
    EXPECT_EQ(cs[0].qop, "auth");
    EXPECT_EQ(cs[0].stale, "");
    EXPECT_EQ(cs[0].algorithm, "") << "MD5 by default, not named (as Kamailio)";

    Creds c;
    auto ok = ua.send("REGISTER", c.value("REGISTER", cs[0].nonce, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status(), 200) << ok->text() << router.log();
    // The nonce may be reused with a higher nc (credential caching, RFC 7616 §3.4).
    auto again = ua.send("REGISTER", c.value("REGISTER", cs[0].nonce, 2));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status(), 200);
}

TEST(Auth, InviteIsChallengedWith407AndProxyAuthenticate) {
    SipRouter router(authScript(), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    auto resp = ua.send("INVITE", "");
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 407);
    EXPECT_EQ(resp->reason(), "Proxy Authentication Required");
    EXPECT_FALSE(resp->has("WWW-Authenticate"));
    auto cs = challengesOf(*resp, "Proxy-Authenticate");
    ASSERT_EQ(cs.size(), 1u) << resp->text();
    Creds c;
    c.uri = "sip:bob@example.com";
    auto ok = ua.send("INVITE", c.value("INVITE", cs[0].nonce, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status(), 200) << ok->text();
    // Credentials in Authorization do not count for an INVITE (pv_auth_check uses
    // Proxy-Authorization for every method but REGISTER).
    EXPECT_EQ(
        ua.reported("INVITE", "", "Authorization: " + c.value("INVITE", cs[0].nonce, 2) + "\r\n"),
        "rc=-5");
}

TEST(Auth, WrongPasswordIsChallengedAgain) {
    SipRouter router(authScript(), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    c.password = "not-the-secret";
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, 1)), "rc=-2");
    auto resp = ua.send("REGISTER", c.value("REGISTER", nonce, 2));
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->status(), 401);
    auto cs = challengesOf(*resp, "WWW-Authenticate");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].stale, "") << "a wrong password is never stale";
    EXPECT_NE(cs[0].nonce, nonce);
}

TEST(Auth, ReplayedNonceCountIsRefused) {
    SipRouter router(authScript(), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    const std::string nonce = ua.challenge("INVITE");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    c.uri = "sip:bob@example.com";
    const std::string cred = c.value("INVITE", nonce, 1);
    EXPECT_EQ(ua.reported("INVITE", cred), "rc=1");
    // The same credentials again, whichever worker gets them (state is in shm).
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(ua.reported("INVITE", cred), "rc=-6");
    }
    auto challenged = ua.send("INVITE", cred);
    ASSERT_TRUE(challenged);
    EXPECT_EQ(challenged->status(), 407);
    EXPECT_EQ(ua.reported("INVITE", c.value("INVITE", nonce, 2)), "rc=1");
}

TEST(Auth, ExpiredNonceIsStaleAndTheNewChallengeSaysSo) {
    SipRouter router(authScript(), authOptions("nonce_expire = 1;"));
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    // Poll (bounded) until the nonce has expired: each try uses a fresh nc.
    unsigned nc = 0;
    std::string reason;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    while (std::chrono::steady_clock::now() < deadline) {
        reason = ua.reported("REGISTER", c.value("REGISTER", nonce, ++nc));
        if (reason != "rc=1") break;  // also on "no answer", which the check below fails
        ua.peer_.receiveMsg(100);     // paces the polling; nothing else is expected
    }
    EXPECT_EQ(reason, "rc=-4");
    auto resp = ua.send("REGISTER", c.value("REGISTER", nonce, ++nc));
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->status(), 401);
    auto cs = challengesOf(*resp, "WWW-Authenticate");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].stale, "true") << cs[0].header;
    auto fresh = ua.send("REGISTER", c.value("REGISTER", cs[0].nonce, 1));
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status(), 200);
}

TEST(Auth, Sha256Challenge) {
    SipRouter router(authScript(), authOptions("algorithm = \"SHA-256\";"));
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    Challenge ch;
    ASSERT_FALSE(ua.challenge("REGISTER", &ch).empty()) << router.log();
    EXPECT_EQ(ch.algorithm, "SHA-256");
    Creds c;
    c.alg = "SHA-256";
    c.algParam = "SHA-256";
    auto ok = ua.send("REGISTER", c.value("REGISTER", ch.nonce, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status(), 200) << router.log();
    // An MD5 answer to the SHA-256 challenge is not accepted.
    Creds md5;
    auto wrongAlg = ua.send("REGISTER", md5.value("REGISTER", ch.nonce, 2), "X-Report: 1\r\n");
    ASSERT_TRUE(wrongAlg);
    EXPECT_NE(wrongAlg->reason(), "rc=1");
}

TEST(Auth, BothAlgorithmsOfferedInOrder) {
    SipRouter router(authScript(), authOptions("algorithm = \"SHA-256,MD5\";"));
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    auto resp = ua.send("INVITE", "");
    ASSERT_TRUE(resp) << router.log();
    auto cs = challengesOf(*resp, "Proxy-Authenticate");
    ASSERT_EQ(cs.size(), 2u) << resp->text();
    EXPECT_EQ(cs[0].algorithm, "SHA-256");
    EXPECT_EQ(cs[1].algorithm, "MD5");
    Creds c;
    c.uri = "sip:bob@example.com";
    c.algParam = "MD5";
    auto md5 = ua.send("INVITE", c.value("INVITE", cs[1].nonce, 1));
    ASSERT_TRUE(md5);
    EXPECT_EQ(md5->status(), 200);
    c.alg = "SHA-256";
    c.algParam = "SHA-256";
    auto sha = ua.send("INVITE", c.value("INVITE", cs[0].nonce, 2));
    ASSERT_TRUE(sha);
    EXPECT_EQ(sha->status(), 200) << "both nonces share one replay slot";
}

TEST(Auth, ConsumedCredentialsAreNotForwarded) {
    SipPeer uas;
    SipRouter router(authScript("sip:127.0.0.1:" + std::to_string(uas.port())), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    const std::string nonce = ua.challenge("INVITE");
    ASSERT_FALSE(nonce.empty());
    Creds c;
    c.uri = "sip:bob@example.com";
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:bob@example.com";
    r.extraHeaders =
        "Proxy-Authorization: Digest username=\"x\", realm=\"upstream.net\", "
        "nonce=\"n\", uri=\"sip:u\", response=\"00\"\r\n"
        "Proxy-Authorization: " +
        c.value("INVITE", nonce, 1) + "\r\n";
    ASSERT_TRUE(ua.peer_.sendTo(buildRequest(ua.peer_, r), router.port()));
    auto fwd = uas.receiveCall(r.callId, 3000);
    ASSERT_TRUE(fwd) << router.log();
    auto left = fwd->headers("Proxy-Authorization");
    ASSERT_EQ(left.size(), 1u) << fwd->text();
    EXPECT_NE(left[0].find("upstream.net"), std::string::npos) << "other realms stay";
}

TEST(Auth, MalformedCredentialsAreAnsweredAndNeverCrash) {
    SipRouter router(authScript(), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    const std::vector<int> workers = router.workerPids();
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty());
    const std::string good = Creds().value("REGISTER", nonce, 1);
    const std::string realm = "realm=\"example.com\"";
    const std::string big(6000, 'x');
    const std::vector<std::string> bad = {
        "Digest",
        "Digest ",
        "Digest ,,,",
        "Digest " + realm,
        "Digest " + realm + ", username=\"alice\"",
        "Digest " + realm + ", username=\"alice\", nonce=\"" + nonce + "\"",
        "Digest " + realm + ", username=\"alice\", nonce=\"" + nonce + "\", uri=\"sip:e\"",
        "Digest username=\"alice\", " + realm + ", nonce=\"" + nonce +
            "\", uri=\"sip:example.com\", response=\"" + std::string(32, '0') + "\", qop=auth",
        "Digest username=\"alice\", " + realm + ", nonce=\"" + nonce +
            "\", uri=\"sip:example.com\", response=\"" + std::string(32, 'g') + "\"",
        "Digest username=\"alice, " + realm,
        "Digest username=alice\", " + realm,
        "Digest username=\"al\\\"ice\", " + realm + ", nonce=\"\", uri=\"\", response=\"\"",
        "Digest " + realm + ", " + realm,
        "Digest " + realm + ", nonce=\"" + big + "\", username=\"" + big + "\", uri=\"" + big +
            "\", response=\"" + big + "\"",
        "Digest " + realm + ", username=\"alice\", nonce=\"" + nonce +
            "\", uri=\"sip:example.com\", response=\"" + std::string(32, 'a') +
            "\", qop=auth, nc=" + big + ", cnonce=\"c\"",
        "Digest " + realm + ", username=\"alice\", nonce=\"" + nonce +
            "\", uri=\"sip:example.com\", response=\"" + std::string(32, 'a') +
            "\", algorithm=" + big,
        "Basic YWxpY2U6c2VjcmV0",
        "Digest " + realm + "\r\n , username=\"alice\"",
        good + ", response=\"" + std::string(32, 'a') + "\"",
        good + ", userhash=true",
        good.substr(0, good.size() / 2),
        "Digest " + realm + ", username=\"\\",
        "=",
        "Digest \"" + big,
    };
    int i = 0;
    for (const std::string& cred : bad) {
        auto resp = ua.send("REGISTER", cred);
        ASSERT_TRUE(resp) << "case " << i << ": no answer\n" << router.log();
        // pv_auth_check returns -1 (or -5) without answering itself, so the script's fresh
        // challenge is the one answer (RFC 3261 §22.2): a client can retry, and no request gets
        // two final responses (Kamailio sends a 400 from the module and the script's 401 too).
        EXPECT_EQ(resp->status(), 401)
            << "case " << i << ": " << resp->status() << " for " << cred.substr(0, 120);
        EXPECT_EQ(resp->headers("WWW-Authenticate").size(), 1u) << "case " << i;
        ++i;
    }
    // Still the same workers, still serving, and nothing for the sanitizers to report.
    EXPECT_EQ(router.workerPids(), workers);
    EXPECT_EQ(router.log().find("Sanitizer"), std::string::npos) << router.log();
    EXPECT_EQ(router.log().find("runtime error"), std::string::npos) << router.log();
    auto ok = ua.send("REGISTER", Creds().value("REGISTER", ua.challenge("REGISTER"), 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status(), 200);
}

TEST(Auth, HasCredentialsLooksForTheRealm) {
    SipRouter router(authScript(), authOptions());
    ASSERT_TRUE(router.start()) << router.log();
    Ua ua(router);
    const std::string mine = "Digest username=\"a\", realm=\"example.com\", nonce=\"n\"";
    const std::string theirs = "Digest username=\"a\", realm=\"other.net\", nonce=\"n\"";
    auto yes = ua.send("REGISTER", mine, "X-Has: 1\r\n");
    auto no = ua.send("INVITE", theirs, "X-Has: 1\r\n");
    auto none = ua.send("OPTIONS", "", "X-Has: 1\r\n");
    auto proxy = ua.send("INVITE", mine, "X-Has: 1\r\n");
    ASSERT_TRUE(yes && no && none && proxy) << router.log();
    EXPECT_EQ(yes->reason(), "has=1");
    EXPECT_EQ(no->reason(), "has=-1");
    EXPECT_EQ(none->reason(), "has=-1");
    EXPECT_EQ(proxy->reason(), "has=1");
}

// Every worker accepts every other worker's nonces and sees their replay state: challenges
// and answers come from different sockets, which the kernel spreads over the workers.
TEST(Auth, NoncesAndReplayStateAreSharedByTheWorkers) {
    SipRouterOptions o = authOptions();
    o.children = 3;
    SipRouter router(authScript(), o);
    ASSERT_TRUE(router.start()) << router.log();
    std::vector<std::unique_ptr<Ua>> uas;
    for (int i = 0; i < 8; ++i) uas.push_back(std::make_unique<Ua>(router));
    Creds c;
    for (int i = 0; i < 8; ++i) {
        const std::string nonce = uas[i]->challenge("REGISTER");
        ASSERT_FALSE(nonce.empty()) << router.log();
        const std::string cred = c.value("REGISTER", nonce, 1);
        EXPECT_EQ(uas[(i + 1) % 8]->reported("REGISTER", cred), "rc=1") << i;
        for (int k = 2; k < 5; ++k) {
            EXPECT_EQ(uas[(i + k) % 8]->reported("REGISTER", cred), "rc=-6") << i << "/" << k;
        }
    }
}

TEST(Auth, BadParametersStopTheStart) {
    SipRouter router(authScript(), authOptions("algorithm = \"SHA-1\";"));
    EXPECT_FALSE(router.start());
    EXPECT_NE(router.log().find("algorithm"), std::string::npos) << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
