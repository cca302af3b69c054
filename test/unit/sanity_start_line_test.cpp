// Sanity checks on the start line and the required headers: 1 (R-URI SIP version), 2 (R-URI
// scheme), 4 (required headers), 8 (Via SIP version), 16384 (top Via), and that a valid
// request passes everything.
#include "test/unit/sanity_test_support.h"

namespace osprey::sanity::test {
namespace {

TEST(SanityStartLine, AValidRequestPassesEveryCheck) {
    Req r;
    r.extra =
        "Contact: <sip:alice@192.0.2.1:5060>\r\nExpires: 3600\r\n"
        "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", "
        "uri=\"sip:bob@example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n";
    r.body = "v=0\r\n";
    auto c = run(r, kAllChecks, kAllUriChecks);
    EXPECT_TRUE(c->passed) << c->v.failed << " " << c->v.reason;
    EXPECT_TRUE(c->v.passed());
}

TEST(SanityStartLine, NoChecksMeansPass) {
    Req r;
    r.startLine = "INVITE sip:bob@example.com SIP/3.0";
    EXPECT_TRUE(run(r, 0)->passed);
}

TEST(SanityStartLine, RequestLineVersionOtherThan20Is505) {
    Req r;
    r.startLine = "INVITE sip:bob@example.com SIP/7.0";
    EXPECT_TRUE(
        failsWith(*run(r, kScriptChecks), kRuriSipVersion, 505, "Version Not Supported (R-URI)"));
    r.startLine = "INVITE sip:bob@example.com SIP/2.00";
    EXPECT_TRUE(
        failsWith(*run(r, kRuriSipVersion), kRuriSipVersion, 505, "Version Not Supported (R-URI)"));
    r.startLine = "INVITE sip:bob@example.com sip/2.0";  // the protocol name is case-insensitive
    EXPECT_TRUE(run(r, kRuriSipVersion)->passed);
}

TEST(SanityStartLine, UnknownRequestUriSchemeIs416AndBadSyntax400) {
    Req r;
    r.startLine = "OPTIONS nobarrier:bob@example.com SIP/2.0";
    r.cseq = "CSeq: 1 OPTIONS\r\n";
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kRuriScheme, 416,
                          "Unsupported URI Scheme in Request URI"));
    r.startLine = "OPTIONS sip:bob@exa%mple.com SIP/2.0";
    EXPECT_TRUE(failsWith(*run(r, kRuriScheme), kRuriScheme, 400, "Bad Request URI"));
    r.startLine = "OPTIONS sips:bob@example.com SIP/2.0";
    EXPECT_TRUE(run(r, kRuriScheme)->passed);
    r.startLine = "OPTIONS tel:+1-201-555-0123 SIP/2.0";
    EXPECT_TRUE(run(r, kRuriScheme)->passed);
}

TEST(SanityStartLine, EachMissingRequiredHeaderIs400) {
    const char* kReason = "Missing Required Header in Request";
    for (int i = 0; i < 5; ++i) {
        Req r;
        std::string* parts[] = {&r.to, &r.from, &r.callId, &r.cseq, &r.via};
        parts[i]->clear();
        auto c = run(r, kRequiredHeaders);
        EXPECT_TRUE(failsWith(*c, kRequiredHeaders, 400, kReason)) << "without part " << i;
    }
}

TEST(SanityStartLine, ADuplicateSingleHeaderIs400) {
    Req r;
    r.extra = "Call-ID: other@example.com\r\n";
    EXPECT_TRUE(failsWith(*run(r, kRequiredHeaders), kRequiredHeaders, 400,
                          "Duplicate Required Header in Request"));
    r.extra = "t: <sip:carol@example.com>\r\n";  // compact form of To
    EXPECT_TRUE(failsWith(*run(r, kRequiredHeaders), kRequiredHeaders, 400,
                          "Duplicate Required Header in Request"));
    r.extra = "Via: SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\n";  // Via is a list
    EXPECT_TRUE(run(r, kRequiredHeaders)->passed);
}

TEST(SanityStartLine, ViaVersionOtherThan20Is505) {
    Req r;
    r.via = "Via: SIP/3.0/UDP pc.example.com;branch=z9hG4bK1\r\n";
    auto c = run(r, kViaSipVersion);
    ASSERT_NE(c->msg.topVia, nullptr) << "the Via parser must leave the version to sanity";
    EXPECT_TRUE(failsWith(*c, kViaSipVersion, 505, "Version Not Supported (Via)"));
    // Kamailio's default-call bits do not include 8: the same request passes them.
    EXPECT_TRUE(run(r, kScriptChecks)->passed);
}

TEST(SanityStartLine, ViaProtocolCheckAlwaysPassesAsInKamailio) {
    Req r;
    r.via = "Via: SIP/2.0/TCP pc.example.com;branch=z9hG4bK1\r\n";
    EXPECT_TRUE(run(r, kViaProtocol)->passed);
}

TEST(SanityStartLine, MissingOrBrokenTopViaFailsTheVia1Check) {
    Req r;
    r.via.clear();
    EXPECT_TRUE(failsWith(*run(r, kVia1Header), kVia1Header, 400, "Bad Via Header"));
    r.via = "Via: SIP/2.0/UDP ;branch=z9hG4bK1\r\n";
    EXPECT_TRUE(failsWith(*run(r, kVia1Header), kVia1Header, 400, "Bad Via Header"));
    r.via = "Via: SIP/2.0/UDP pc.example.com:5070;branch=z9hG4bK1;rport\r\n";
    EXPECT_TRUE(run(r, kVia1Header)->passed);
}

TEST(SanityStartLine, ResponsesSkipRequestLineChecks) {
    const std::string resp =
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP pc.example.com;branch=z9hG4bK1\r\n"
        "From: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>;tag=b\r\n"
        "Call-ID: r1\r\nCSeq: 7 INVITE\r\nProxy-Require: foo\r\nContent-Length: 0\r\n\r\n";
    EXPECT_TRUE(runText(resp, kAllChecks, kAllUriChecks)->passed);
}

TEST(SanityStartLine, TheFirstFailureInKamailiosOrderWins) {
    Req r;  // bad version and a missing CSeq: the version check runs first
    r.startLine = "INVITE sip:bob@example.com SIP/2.1";
    r.cseq.clear();
    EXPECT_EQ(run(r, kScriptChecks)->v.failed, kRuriSipVersion);
    Req s;  // missing header before an illegal Expires
    s.callId.clear();
    s.extra = "Expires: soon\r\n";
    EXPECT_EQ(run(s, kScriptChecks)->v.failed, kRequiredHeaders);
}

}  // namespace
}  // namespace osprey::sanity::test
