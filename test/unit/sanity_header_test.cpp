// Sanity checks on single headers: 32 (CSeq method), 64 (CSeq number), 128 (Content-Length),
// 256 (Expires).
#include "test/unit/sanity_test_support.h"

namespace osprey::sanity::test {
namespace {

TEST(SanityHeaders, CSeqMethodMustEqualTheRequestMethod) {
    Req r;
    r.cseq = "CSeq: 1 BYE\r\n";
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kCSeqMethod, 400,
                          "CSeq method does not match request method"));
    r.cseq = "CSeq: 1 invite\r\n";  // method names are case-sensitive
    EXPECT_TRUE(failsWith(*run(r, kCSeqMethod), kCSeqMethod, 400,
                          "CSeq method does not match request method"));
    r.cseq = "CSeq: 1 INVITE\r\n";
    EXPECT_TRUE(run(r, kCSeqMethod)->passed);
}

TEST(SanityHeaders, CSeqWithoutMethodIsABadCSeq) {
    Req r;
    r.cseq = "CSeq: 1\r\n";
    EXPECT_TRUE(failsWith(*run(r, kCSeqMethod), kCSeqMethod, 400, "Bad CSeq Header"));
}

TEST(SanityHeaders, CSeqNumberMustBeA32BitUnsignedInteger) {
    Req r;
    r.cseq = "CSeq: 4294967296 INVITE\r\n";  // 2**32 (RFC 4475 3.1.2.4)
    EXPECT_TRUE(failsWith(*run(r, kCSeqValue), kCSeqValue, 400, "CSeq number is illegal"));
    r.cseq = "CSeq: -1 INVITE\r\n";
    EXPECT_TRUE(failsWith(*run(r, kCSeqValue), kCSeqValue, 400, "CSeq number is illegal"));
    r.cseq = "CSeq: INVITE\r\n";
    EXPECT_TRUE(failsWith(*run(r, kCSeqValue), kCSeqValue, 400, "CSeq number is illegal"));
    r.cseq = "CSeq: 4294967295 INVITE\r\n";
    EXPECT_TRUE(run(r, kCSeqValue)->passed);
    // With the method check asked for too, it runs first and sees the same damage.
    r.cseq = "CSeq: 99999999999 INVITE\r\n";
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kCSeqMethod, 400, "CSeq number is illegal"));
}

TEST(SanityHeaders, ContentLengthMustMatchADatagramsBody) {
    Req r;
    r.body = "v=0\r\n";
    r.contentLength = false;
    r.extra = "Content-Length: 3\r\n";  // shorter than the body
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kContentLength, 400, "Content-Length mis-match"));
    r.extra = "Content-Length: 50\r\n";  // longer than the data
    EXPECT_TRUE(
        failsWith(*run(r, kContentLength), kContentLength, 400, "Content-Length mis-match"));
    r.extra = "l: 5\r\n";
    EXPECT_TRUE(run(r, kContentLength)->passed);
    r.extra.clear();  // absent: the datagram's body is the rest of it
    EXPECT_TRUE(run(r, kContentLength)->passed);
    r.extra = "Content-Length: five\r\n";
    EXPECT_TRUE(failsWith(*run(r, kContentLength), kContentLength, 400, "Content-Length Failure"));
}

TEST(SanityHeaders, OnAStreamContentLengthMayNotExceedTheData) {
    Req r;
    r.body = "v=0\r\n";
    r.contentLength = false;
    Options stream;
    stream.datagram = false;
    r.extra = "Content-Length: 5\r\n";
    EXPECT_TRUE(run(r, kContentLength, kScriptUris, stream)->passed);
    r.extra = "Content-Length: 6\r\n";
    EXPECT_TRUE(failsWith(*run(r, kContentLength, kScriptUris, stream), kContentLength, 400,
                          "Content-Length mis-match"));
}

TEST(SanityHeaders, ExpiresMustBeAnUnsignedInteger) {
    Req r;
    r.extra = "Expires: soon\r\n";
    EXPECT_TRUE(failsWith(*run(r, kScriptChecks), kExpiresValue, 400, "Expires value is illegal"));
    r.extra = "Expires: -5\r\n";
    EXPECT_TRUE(failsWith(*run(r, kExpiresValue), kExpiresValue, 400, "Expires value is illegal"));
    r.extra = "Expires: 4294967296\r\n";
    EXPECT_TRUE(failsWith(*run(r, kExpiresValue), kExpiresValue, 400, "Expires value is illegal"));
    r.extra = "Expires:\r\n";
    EXPECT_TRUE(
        failsWith(*run(r, kExpiresValue), kExpiresValue, 400, "Missing number in Expires header"));
    r.extra = "Expires: 0\r\n";
    EXPECT_TRUE(run(r, kExpiresValue)->passed);
    r.extra = "Expires: 4294967295\r\n";
    EXPECT_TRUE(run(r, kExpiresValue)->passed);
}

TEST(SanityHeaders, AnErrorRecordedBeforeTheCallDoesNotFailTheChecks) {
    Req r;
    r.extra = "Contact: <sip:bad@exa mple.com>\r\n";
    auto c = std::make_unique<Checked>();
    c->buf = r.text();
    ASSERT_TRUE(sip::parseMsg(c->msg, c->buf));
    ASSERT_TRUE(sip::parseHeaders(c->msg, sip::HDR_EOH));
    ASSERT_FALSE(sip::parseHeaders(c->msg, sip::HDR_CONTACT));  // the script looked at it
    ASSERT_TRUE(static_cast<bool>(c->msg.error));
    Verdict v;
    EXPECT_TRUE(runChecks(c->msg, kScriptChecks, kScriptUris, Options{}, v)) << v.reason;
    // Contact is not among uri_checks 7; with 8 it is reported.
    EXPECT_FALSE(runChecks(c->msg, kParseUris, kUriContact, Options{}, v));
    EXPECT_EQ(v.reason, "Bad Contact Header");
}

}  // namespace
}  // namespace osprey::sanity::test
