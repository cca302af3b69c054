// auth module: verification of whole requests (credentials found by realm, response checked,
// nonce MAC/age/replay) and challenge headers, with an injected clock. Client responses come
// from auth_digest_client.h. What a check costs is measured by make bench-auth.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "core/sip/digest.h"
#include "core/sip/msg.h"
#include "modules/auth/challenge.h"
#include "modules/auth/verify.h"
#include "test/unit/auth_digest_client.h"
#include "test/unit/sip_test_pkg.h"

namespace osprey::auth {
namespace {

using namespace digest_client;

class AuthVerify : public ::testing::Test {
protected:
    void SetUp() override {
        codec.setSecret("unit-test-secret");
        mem.reset(static_cast<uint64_t*>(std::calloc(NonceState::bytesNeeded(8, 8), 1)));
        state = NonceState::create(mem.get(), 8, 8, 1000);
        v.codec = &codec;
        v.state = state;
        v.nonceExpire = 300;
        v.maxDrift = 3;
    }
    std::string nonce(Algorithm a = Algorithm::Md5, int64_t at = kNow,
                      std::string_view realm = "example.com") {
        char out[kNonceLen];
        EXPECT_TRUE(codec.make({static_cast<uint32_t>(at), state->newNid()}, a, realm, out));
        return std::string(out, kNonceLen);
    }
    int check(const std::string& method, const std::string& hdr, int64_t now = kNow,
              std::string_view passwd = "secret", int flags = 0) {
        const bool reg = method == "REGISTER";
        Request r(method,
                  std::string(reg ? "Authorization: " : "Proxy-Authorization: ") + hdr + "\r\n");
        EXPECT_TRUE(r.parsed);
        return authenticate(
            v, r.msg, reg ? sip::HeaderKind::Authorization : sip::HeaderKind::ProxyAuthorization,
            "example.com", passwd, flags, method, now);
    }
    static constexpr int64_t kNow = 1700000000;
    NonceCodec codec;
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    std::unique_ptr<uint64_t, Free> mem;
    NonceState* state = nullptr;
    Verifier v;
};

TEST_F(AuthVerify, CorrectResponseWrongPasswordAndReplay) {
    Client c;
    const std::string n = nonce();
    EXPECT_EQ(check("REGISTER", c.header(n, "00000001", c.response(n, "00000001"))), kAuthOk);
    EXPECT_EQ(check("REGISTER", c.header(n, "00000001", c.response(n, "00000001"))),
              kAuthNonceReused);
    EXPECT_EQ(check("REGISTER", c.header(n, "00000002", c.response(n, "00000002"))), kAuthOk);
    Client wrong = c;
    wrong.password = "guess";
    const std::string n2 = nonce();
    EXPECT_EQ(check("REGISTER", wrong.header(n2, "00000001", wrong.response(n2, "00000001"))),
              kAuthInvalidPassword);
    EXPECT_EQ(check("REGISTER", c.header(n2, "00000002", c.response(n2, "00000002"))),
              kAuthNonceReused)
        << "a failed attempt spends the nonce (Kamailio without flag 32)";
    const std::string n3 = nonce();
    EXPECT_EQ(check("REGISTER", wrong.header(n3, "00000001", wrong.response(n3, "00000001")), kNow,
                    "secret", kFlagKeepNcOnFailure),
              kAuthInvalidPassword);
    EXPECT_EQ(check("REGISTER", c.header(n3, "00000002", c.response(n3, "00000002"))), kAuthOk);
}

TEST_F(AuthVerify, StaleWhenExpiredFromTheFutureOrForeign) {
    Client c;
    const std::string n = nonce();
    const std::string hdr = c.header(n, "00000001", c.response(n, "00000001"));
    EXPECT_EQ(check("REGISTER", hdr, kNow + 301), kAuthStaleNonce);
    EXPECT_EQ(check("REGISTER", hdr, kNow - 4), kAuthStaleNonce);
    EXPECT_EQ(check("REGISTER", hdr, kNow + 300), kAuthOk);
    // Issued with another secret (a restart): stale, so the UA retries without asking its user.
    NonceCodec other;
    other.setSecret("previous-run");
    char out[kNonceLen];
    ASSERT_TRUE(other.make({static_cast<uint32_t>(kNow), 5}, Algorithm::Md5, "example.com", out));
    const std::string foreign(out, kNonceLen);
    EXPECT_EQ(check("REGISTER", c.header(foreign, "00000001", c.response(foreign, "00000001"))),
              kAuthStaleNonce);
    // ... but not for a wrong password: stale=true only when the response was right.
    Client wrong = c;
    wrong.password = "x";
    EXPECT_EQ(
        check("REGISTER", wrong.header(foreign, "00000001", wrong.response(foreign, "00000001"))),
        kAuthInvalidPassword);
}

TEST_F(AuthVerify, Sha256AndAlgorithmBinding) {
    Client c;
    c.alg = "SHA256";
    c.algParam = "SHA-256";
    const std::string n = nonce(Algorithm::Sha256);
    EXPECT_EQ(check("INVITE",
                    [&] {
                        c.method = "INVITE";
                        return c.header(n, "00000001", c.response(n, "00000001"));
                    }()),
              kAuthOk);
    // An MD5 nonce answered with SHA-256 (or the reverse) is not the challenge we sent.
    const std::string md5Nonce = nonce(Algorithm::Md5);
    EXPECT_EQ(check("INVITE", c.header(md5Nonce, "00000001", c.response(md5Nonce, "00000001"))),
              kAuthStaleNonce);
}

TEST_F(AuthVerify, NoQopUsesOneTimeNonces) {
    Client c;
    c.qop = "";
    const std::string n = nonce();
    EXPECT_EQ(check("REGISTER", c.header(n, "", c.response(n, ""))), kAuthOk);
    EXPECT_EQ(check("REGISTER", c.header(n, "", c.response(n, ""))), kAuthNonceReused);
}

TEST_F(AuthVerify, Ha1Password) {
    Client c;
    const std::string n = nonce();
    EXPECT_EQ(check("REGISTER", c.header(n, "00000001", c.response(n, "00000001")), kNow, c.ha1(),
                    kFlagPasswordIsHa1),
              kAuthOk);
    std::string upper = c.ha1();
    for (char& ch : upper) ch = static_cast<char>(toupper(ch));
    EXPECT_EQ(check("REGISTER", c.header(n, "00000002", c.response(n, "00000002")), kNow, upper,
                    kFlagPasswordIsHa1),
              kAuthOk);
    EXPECT_EQ(check("REGISTER", c.header(n, "00000003", c.response(n, "00000003")), kNow,
                    "notahash", kFlagPasswordIsHa1),
              kAuthError);
}

TEST_F(AuthVerify, NoCredentialsForRealmAndMalformed) {
    Client c;
    const std::string n = nonce();
    Client elsewhere = c;
    elsewhere.realm = "other.org";
    EXPECT_EQ(check("REGISTER", elsewhere.header(n, "00000001", "0")), kAuthNoCredentials);
    Request none("REGISTER", "");
    EXPECT_EQ(authenticate(v, none.msg, sip::HeaderKind::Authorization, "example.com", "secret", 0,
                           "REGISTER", kNow),
              kAuthNoCredentials);
    const std::string good = c.response(n, "00000001");
    const std::string realm = "realm=\"example.com\"";
    for (const std::string& bad : {
             "Digest " + realm,
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n + "\", uri=\"sip:e\"",
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"" + good + "\", qop=auth",
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"" + good +
                 "\", qop=auth, nc=zz, cnonce=\"abc\"",
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"" + good +
                 "\", qop=auth, nc=000000001, cnonce=\"abc\"",
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"" + good +
                 "\", qop=bogus, nc=00000001, cnonce=\"abc\"",
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"" + good + "\", algorithm=SHA-1",
             "Digest " + realm + ", username=\"alice\", nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"xyz\"",
             "Digest " + realm +
                 ", username=\"alice\", nonce=\"not-our-nonce\", uri=\"sip:e\", "
                 "response=\"" +
                 good + "\"",
             "Digest " + realm + ", username=\"alice\", userhash=true, nonce=\"" + n +
                 "\", uri=\"sip:example.com\", response=\"" + good + "\"",
             "Digest " + realm + ", " + realm,
             "Digest " + realm + ", username=\"alice",
         }) {
        EXPECT_EQ(check("REGISTER", bad), kAuthError) << bad.substr(0, 200);
    }
    // A huge username is hashed like any other (the response was for "alice": wrong).
    EXPECT_EQ(check("REGISTER", "Digest " + realm + ", username=\"" + std::string(30000, 'a') +
                                    "\", nonce=\"" + n +
                                    "\", uri=\"sip:example.com\", response=\"" + good + "\""),
              kAuthInvalidPassword);
    // A mangled response is a wrong password, not an error.
    std::string flipped = good;
    flipped[0] = flipped[0] == '0' ? '1' : '0';
    EXPECT_EQ(check("REGISTER", c.header(n, "00000001", flipped)), kAuthInvalidPassword);
}

TEST_F(AuthVerify, PicksTheCredentialsOfTheRealmAmongSeveral) {
    Client c;
    c.method = "INVITE";
    const std::string n = nonce();
    Request r("INVITE",
              "Proxy-Authorization: Digest username=\"x\", realm=\"upstream.net\", "
              "nonce=\"n\", uri=\"sip:u\", response=\"00\"\r\n"
              "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
              "Proxy-Authorization: " +
                  c.header(n, "00000001", c.response(n, "00000001")) + "\r\n");
    ASSERT_TRUE(r.parsed);
    Credentials found;
    EXPECT_EQ(authenticate(v, r.msg, sip::HeaderKind::ProxyAuthorization, "example.com", "secret",
                           0, "INVITE", kNow, &found),
              kAuthOk);
    ASSERT_NE(found.body, nullptr);
    EXPECT_TRUE(found.body->authorized);
    EXPECT_EQ(checkIdentity(r.msg, *found.body, false), kAuthOk);
}

TEST_F(AuthVerify, IdentityCheck) {
    Client c;
    c.user = "mallory";
    const std::string n = nonce();
    Request r("REGISTER",
              "Authorization: " + c.header(n, "00000001", c.response(n, "00000001")) + "\r\n");
    Credentials found;
    ASSERT_EQ(authenticate(v, r.msg, sip::HeaderKind::Authorization, "example.com", "secret", 0,
                           "REGISTER", kNow, &found),
              kAuthOk);
    EXPECT_EQ(checkIdentity(r.msg, *found.body, false), kAuthUserMismatch);
}

TEST(AuthChallenge, HeadersParseBackAndCarryTheFlags) {
    NonceCodec codec;
    codec.setSecret("k");
    Offer offer;
    ASSERT_TRUE(parseOffer("SHA-256, MD5", offer));
    EXPECT_EQ(offer.count, 2u);
    char buf[kChallengeBufSize];
    const size_t n = buildChallenge(codec, nullptr, false, "exa\"mple.com", 3, true, offer,
                                    1700000000, buf, sizeof buf);
    ASSERT_GT(n, 0u);
    const std::string text(buf, n);
    EXPECT_EQ(text.find("WWW-Authenticate: Digest realm=\"exa\\\"mple.com\", nonce=\""), 0u)
        << text;
    EXPECT_NE(text.find("qop=\"auth,auth-int\", stale=true, algorithm=SHA-256\r\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\r\nWWW-Authenticate: Digest"), std::string::npos) << text;
    EXPECT_NE(text.find("algorithm=MD5\r\n"), std::string::npos) << text;

    Offer plain;
    ASSERT_TRUE(parseOffer("", plain));
    const size_t m = buildChallenge(codec, nullptr, true, "example.com", 0, false, plain,
                                    1700000000, buf, sizeof buf);
    const std::string p(buf, m);
    EXPECT_EQ(p.find("Proxy-Authenticate: Digest realm=\"example.com\", nonce=\""), 0u) << p;
    EXPECT_EQ(p.find("qop"), std::string::npos);
    EXPECT_EQ(p.find("algorithm"), std::string::npos) << "Kamailio's default names no algorithm";
    EXPECT_EQ(p.find("stale"), std::string::npos);

    EXPECT_EQ(buildChallenge(codec, nullptr, true, "", 0, false, plain, 0, buf, sizeof buf), 0u);
    EXPECT_EQ(buildChallenge(codec, nullptr, true, std::string(300, 'r'), 0, false, plain, 0, buf,
                             sizeof buf),
              0u);
    EXPECT_EQ(buildChallenge(codec, nullptr, true, "a\r\nb", 0, false, plain, 0, buf, sizeof buf),
              0u);
    Offer bad;
    EXPECT_FALSE(parseOffer("SHA-1", bad));
    EXPECT_FALSE(parseOffer("MD5,MD5", bad));
    EXPECT_FALSE(parseOffer("MD5-sess", bad));
    EXPECT_FALSE(parseOffer("MD5,", bad));
}

}  // namespace
}  // namespace osprey::auth
