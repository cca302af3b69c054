// Sanity checks 1024 (URIs parse, per uri_checks), 4096 (one tag in From and To), 2048 and
// 8192 (credentials).
#include "test/unit/sanity_test_support.h"

namespace osprey::sanity::test {
namespace {

TEST(SanityUris, RequestUriFromAndToMustParse) {
    Req r;
    r.from = "From: <sip:alice@exa mple.com>;tag=a1\r\n";
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kParseUris, 400, "Invalid From Header"));
    r.from = "From: <sip:alice@[::1>;tag=a1\r\n";
    EXPECT_TRUE(failsWith(*run(r, kParseUris, kUriFrom), kParseUris, 400, "Bad From URI"));
    EXPECT_TRUE(run(r, kParseUris, kUriTo)->passed);  // uri_checks without From
    Req t;
    t.to = "To: <sip:bob@example.com:99999>\r\n";
    EXPECT_TRUE(failsWith(*run(t, kParseUris, kUriTo), kParseUris, 400, "Bad To URI"));
    Req u;
    u.startLine = "INVITE sip:bob@example.com:0x50 SIP/2.0";
    EXPECT_TRUE(failsWith(*run(u, kParseUris, kUriRuri), kParseUris, 400, "Bad Request URI"));
    u.startLine = "INVITE sip:bob@example.com?Subject=x SIP/2.0";  // RFC 3261 §19.1.1
    EXPECT_TRUE(failsWith(*run(u, kParseUris, kUriRuri), kParseUris, 400, "Bad Request URI"));
}

TEST(SanityUris, ForeignSchemesInHeadersAreAccepted) {
    Req r;  // RFC 4475 3.3.4
    r.from = "From: <http://example.com/alice>;tag=a1\r\n";
    r.to = "To: <mailto:bob@example.com>\r\n";
    EXPECT_TRUE(run(r, kParseUris, kAllUriChecks)->passed);
}

TEST(SanityUris, ContactUrisParseWhenAskedFor) {
    Req r;
    r.extra =
        "Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2:5060;transport=tcp>\r\n"
        "Contact: <sip:c@[2001:db8::1]>;expires=60\r\n";
    EXPECT_TRUE(run(r, kParseUris, kAllUriChecks)->passed);
    r.extra = "Contact: <sip:a@192.0.2.1>, <sip:b@[2001:db8::1>\r\n";
    EXPECT_TRUE(failsWith(*run(r, kParseUris, kUriContact), kParseUris, 400, "Bad Contact URI"));
    EXPECT_TRUE(run(r, kParseUris, kUriRuri | kUriFrom | kUriTo)->passed);
    r.extra = "Contact: <sip:a@192.0.2.1\r\n";
    EXPECT_TRUE(failsWith(*run(r, kParseUris, kUriContact), kParseUris, 400, "Bad Contact Header"));
    r.startLine = "REGISTER sip:example.com SIP/2.0";
    r.cseq = "CSeq: 2 REGISTER\r\n";
    r.extra = "Contact: *\r\nExpires: 0\r\n";
    EXPECT_TRUE(run(r, kScriptChecks, kAllUriChecks)->passed);
}

TEST(SanityUris, MissingFromIsReportedByTheUriCheck) {
    Req r;
    r.from.clear();
    EXPECT_TRUE(failsWith(*run(r, kParseUris, kUriFrom), kParseUris, 400, "Missing From Header"));
}

TEST(SanityTags, ASecondTagInFromOrToIs400) {
    Req r;
    r.from = "From: <sip:alice@example.com>;tag=a1;tag=a2\r\n";
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kDuplicateTags, 400, "Many From Tag Params"));
    Req t;
    t.to = "To: <sip:bob@example.com>;TAG=b1;x=y;tag=b2\r\n";
    EXPECT_TRUE(failsWith(*run(t, kDuplicateTags), kDuplicateTags, 400, "Many To Tag Params"));
    Req ok;
    ok.to = "To: <sip:bob@example.com>;tag=b1;x=tag\r\n";
    EXPECT_TRUE(run(ok, kDuplicateTags)->passed);
}

const char* kGoodDigest =
    "Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", "
    "response=\"6629fae49393a05397450978507c4ef1\"";

TEST(SanityAuth, CompleteDigestCredentialsPass) {
    Req r;
    r.extra = std::string("Authorization: ") + kGoodDigest +
              "\r\nProxy-Authorization: " + kGoodDigest +
              ", qop=auth, cnonce=\"c\", nc=00000001\r\n";
    EXPECT_TRUE(run(r, kDigestCredentials | kAuthorization)->passed);
}

TEST(SanityAuth, IncompleteDigestCredentialsAre400) {
    struct Case {
        const char* value;
        const char* reason;
    };
    const Case cases[] = {
        {"Digest realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"x\"", "Auth Empty User"},
        {"Digest username=\"\", realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"x\"",
         "Auth Empty User"},
        {"Digest username=\"u\", realm=\"r\", uri=\"sip:a\", response=\"x\"", "Auth Empty Nonce"},
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\"", "Auth Empty Response"},
        {"Digest username=\"u\", nonce=\"n\", uri=\"sip:a\", response=\"x\"",
         "Bad Auth Credentials"},
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"x\", "
         "qop=auth",
         "Bad Auth Credentials"},
        {"Digest username=\"u\", realm=\"r", "Bad Auth Header"},
    };
    for (const Case& k : cases) {
        Req r;
        r.extra = std::string("Proxy-Authorization: ") + k.value + "\r\n";
        EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kAuthorization, 400, k.reason)) << k.value;
        EXPECT_TRUE(failsWith(*run(r, kDigestCredentials), kDigestCredentials, 400, k.reason))
            << k.value;
    }
}

TEST(SanityAuth, OtherSchemesPassTheAuthorizationCheckButNotTheDigestCheck) {
    Req r;
    r.extra = "Authorization: Basic YWxpY2U6c2VjcmV0\r\n";
    EXPECT_TRUE(run(r, kAuthorization)->passed);
    EXPECT_TRUE(
        failsWith(*run(r, kDigestCredentials), kDigestCredentials, 400, "Unsupported Auth Scheme"));
    // A later Digest header is still looked at (Kamailio stops at the first other scheme).
    r.extra += "Proxy-Authorization: Digest username=\"u\"\r\n";
    EXPECT_TRUE(failsWith(*run(r, kAuthorization), kAuthorization, 400, "Auth Empty Nonce"));
}

}  // namespace
}  // namespace osprey::sanity::test
