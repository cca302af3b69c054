// SipMsg: start line, header scanning (names, compact forms, folding), laziness by header
// mask, header slots beyond the inline ones, body bounds, sanity checks, error reporting, and
// no system allocator calls on the parse path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/text_header.h"
#include "core/sip/via.h"
#include "test/support/system_alloc_count.h"
#include "test/unit/sip_test_pkg.h"

using namespace osprey::sip;

namespace {

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Max-Forwards: 70\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

std::string withStartLine(const std::string& line) {
    return line + "\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nl: 0\r\n\r\n";
}

}  // namespace

TEST(SipMsg, RequestLine) {
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, kInvite)) << m.errorText();
    EXPECT_TRUE(m.isRequest());
    EXPECT_EQ(m.method(), Method::Invite);
    EXPECT_EQ(m.start.methodText, "INVITE");
    EXPECT_EQ(m.start.uri, "sip:bob@biloxi.example.com");
    EXPECT_EQ(m.start.version, "SIP/2.0");
    ASSERT_NE(m.topVia, nullptr);
    EXPECT_EQ(m.topVia->branch, "z9hG4bK776asdhds");
    // zero copy: views point into the buffer
    EXPECT_EQ(m.start.uri.data(), kInvite.data() + 7);
}

TEST(SipMsg, StatusLine) {
    SipMsg m;
    std::string r = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n";
    ASSERT_TRUE(parseMsg(m, r)) << m.errorText();
    EXPECT_FALSE(m.isRequest());
    EXPECT_EQ(m.start.status, 180);
    EXPECT_EQ(m.start.reason, "Ringing");
    std::string empty = "SIP/2.0 100 \r\nVia: SIP/2.0/UDP h\r\n\r\n";
    ASSERT_TRUE(parseMsg(m, empty)) << m.errorText();
    EXPECT_EQ(m.start.status, 100);
    EXPECT_TRUE(m.start.reason.empty());
}

TEST(SipMsg, UnknownMethodIsAToken) {
    SipMsg m;
    const std::string foo = withStartLine("FOO.bar-1 sip:x@y SIP/2.0");
    ASSERT_TRUE(parseMsg(m, foo));
    EXPECT_EQ(m.method(), Method::Other);
    EXPECT_EQ(m.start.methodText, "FOO.bar-1");
    const std::string lower = withStartLine("invite sip:x@y SIP/2.0");
    ASSERT_TRUE(parseMsg(m, lower));
    EXPECT_EQ(m.method(), Method::Other) << "methods are case-sensitive";
}

TEST(SipMsg, BadStartLines) {
    struct Case {
        std::string line;
        ParseErrc code;
    } cases[] = {
        {"INVITE sip:a@b SIP/2.1", ParseErrc::BadVersion},
        {"INVITE sip:a@b HTTP/1.1", ParseErrc::BadStartLine},
        {"INV@TE sip:a@b SIP/2.0", ParseErrc::BadMethod},
        {"INVITE", ParseErrc::BadStartLine},
        {"INVITE sip:a@b", ParseErrc::BadStartLine},
        {"INVITE  sip:a@b SIP/2.0", ParseErrc::RequestLineSpaces},
        {"INVITE sip:a@b SIP/2.0 ", ParseErrc::RequestLineSpaces},
        {"INVITE sip:a@b  SIP/2.0", ParseErrc::RequestLineSpaces},
        {"INVITE sip:a@b; lr SIP/2.0", ParseErrc::BadRequestUri},
        {"INVITE <sip:a@b> SIP/2.0", ParseErrc::BadRequestUri},
        {"INVITE sip:a\"b SIP/2.0", ParseErrc::BadRequestUri},
        {"INVITE nouri SIP/2.0", ParseErrc::BadRequestUri},
        {"SIP/2.0 20 OK", ParseErrc::BadStatusCode},
        {"SIP/2.0 2000 OK", ParseErrc::BadStatusCode},
        {"SIP/2.0 700 Too High", ParseErrc::BadStatusCode},
        {"SIP/2.0 099 Low", ParseErrc::BadStatusCode},
        {"SIP/3.0 200 OK", ParseErrc::BadVersion},
        {std::string("SIP/2.0 200 O\x01K"), ParseErrc::BadReasonPhrase},
    };
    for (const Case& c : cases) {
        SipMsg m;
        const std::string msg = withStartLine(c.line);
        EXPECT_FALSE(parseMsg(m, msg)) << c.line;
        EXPECT_STREQ(parseErrcName(m.error.code), parseErrcName(c.code))
            << c.line << ": " << m.errorText();
    }
    SipMsg m;
    EXPECT_FALSE(parseMsg(m, ""));
    EXPECT_EQ(m.error.code, ParseErrc::Empty);
    EXPECT_FALSE(parseMsg(m, "\r\n\r\n"));
    EXPECT_EQ(m.error.code, ParseErrc::Empty);
    EXPECT_FALSE(parseMsg(m, "OPTIONS sip:a@b SIP/2.0"));
    EXPECT_EQ(m.error.code, ParseErrc::Truncated);
}

TEST(SipMsg, LeadingCrlfIgnored) {
    SipMsg m;
    const std::string msg = "\r\n\r\n" + kInvite;
    ASSERT_TRUE(parseMsg(m, msg)) << m.errorText();
    EXPECT_EQ(m.method(), Method::Invite);
}

TEST(SipMsg, LazyScanStopsAtWhatWasAskedFor) {
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, kInvite));
    EXPECT_EQ(m.headerCount(), 2u) << "Max-Forwards, Via";
    EXPECT_FALSE(m.headersComplete());
    EXPECT_EQ(m.seen, HDR_MAXFORWARDS | HDR_VIA);
    ASSERT_TRUE(parseHeaders(m, HDR_CALLID));
    EXPECT_EQ(m.headerCount(), 5u);
    EXPECT_TRUE(m.seen & HDR_CALLID);
    EXPECT_FALSE(m.seen & HDR_CSEQ);
    // To was scanned on the way but not parsed; From was not asked for either.
    HeaderField* to = findHeader(m, HeaderKind::To);
    ASSERT_NE(to, nullptr);
    EXPECT_EQ(to->state, BodyState::Unparsed);
    ASSERT_TRUE(parseHeaders(m, HDR_FROM | HDR_CSEQ));
    EXPECT_EQ(m.headerCount(), 6u);
    EXPECT_EQ(findHeader(m, HeaderKind::From)->state, BodyState::Parsed);
    const CSeqBody* c = getCSeq(m);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->number, 314159u);
    EXPECT_EQ(c->method, Method::Invite);
    // Asking for something absent scans to the end.
    ASSERT_TRUE(parseHeaders(m, HDR_ROUTE));
    EXPECT_TRUE(m.headersComplete());
    EXPECT_EQ(findHeader(m, HeaderKind::Route), nullptr);
    EXPECT_EQ(m.headerCount(), 9u);
}

TEST(SipMsg, ParsedBodiesAreCached) {
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, kInvite));
    const FromToBody* a = getFrom(m);
    const FromToBody* b = getFrom(m);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a->tag, "1928301774");
}

TEST(SipMsg, HeaderNamesAndCompactForms) {
    std::string msg =
        "MESSAGE sip:a@b SIP/2.0\r\n"
        "v: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\ni: x@y\r\n"
        "m: <sip:a@h>\r\nc: text/plain\r\nk: 100rel\r\ns: hi\r\ne: gzip\r\no: presence\r\n"
        "u: dialog\r\nr: <sip:z@z>\r\nb: <sip:q@q>\r\nx: 1800\r\ny: abc\r\nn: <http://x>\r\n"
        "extensionHeader-!.%*+_`'~: weird\r\nCSEQ: 1 MESSAGE\r\nl: 0\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, msg));
    ASSERT_TRUE(parseAll(m)) << m.errorText();
    HeaderKind want[] = {
        HeaderKind::Via,          HeaderKind::From,           HeaderKind::To,
        HeaderKind::CallId,       HeaderKind::Contact,        HeaderKind::ContentType,
        HeaderKind::Supported,    HeaderKind::Subject,        HeaderKind::ContentEncoding,
        HeaderKind::Event,        HeaderKind::AllowEvents,    HeaderKind::ReferTo,
        HeaderKind::ReferredBy,   HeaderKind::SessionExpires, HeaderKind::Identity,
        HeaderKind::IdentityInfo, HeaderKind::Other,          HeaderKind::CSeq,
        HeaderKind::ContentLength};
    ASSERT_EQ(m.headerCount(), std::size(want));
    for (uint32_t i = 0; i < m.headerCount(); ++i)
        EXPECT_EQ(headerKindName(m.header(i).kind), headerKindName(want[i])) << m.header(i).name;
    HeaderField* ext = findHeaderByName(m, "EXTENSIONHEADER-!.%*+_`'~");
    ASSERT_NE(ext, nullptr);
    EXPECT_EQ(ext->value, "weird");
    EXPECT_EQ(findHeaderByName(m, "call-id"), findHeader(m, HeaderKind::CallId));
    EXPECT_EQ(findHeaderByName(m, "X-Absent"), nullptr);
}

TEST(SipMsg, LookupKnowsEveryCanonicalName) {
    for (unsigned k = 1; k < kHeaderKindCount; ++k) {
        std::string_view name = headerKindName(static_cast<HeaderKind>(k));
        EXPECT_EQ(static_cast<unsigned>(lookupHeaderKind(name)), k) << name;
        std::string upper(name);
        for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
        EXPECT_EQ(static_cast<unsigned>(lookupHeaderKind(upper)), k) << upper;
    }
    EXPECT_EQ(lookupHeaderKind("Vias"), HeaderKind::Other);
    EXPECT_EQ(lookupHeaderKind("q"), HeaderKind::Other);
    EXPECT_EQ(lookupHeaderKind("Call-IDs"), HeaderKind::Other);
}

TEST(SipMsg, FoldedValuesAndWhitespaceBeforeColon) {
    std::string msg =
        "OPTIONS sip:a@b SIP/2.0\r\n"
        "Via  :\r\n SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "Subject: one\r\n\ttwo  \r\n"
        "cseq: 0009\r\n  OPTIONS\r\n"
        "Content-Length   : 0\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, msg)) << m.errorText();
    HeaderField* s = findHeader(m, HeaderKind::Subject);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->value, "one\r\n\ttwo");
    const CSeqBody* c = getCSeq(m);
    ASSERT_NE(c, nullptr) << m.errorText();
    EXPECT_EQ(c->number, 9u);
    EXPECT_EQ(c->methodText, "OPTIONS");
    EXPECT_FALSE(checkMessage(m)) << "no To, From or Call-ID";
    EXPECT_EQ(m.error.code, ParseErrc::MissingHeader);
}

TEST(SipMsg, HeaderLineErrors) {
    struct Case {
        std::string line;
        ParseErrc code;
    } cases[] = {
        {"Bad Header: x\r\n", ParseErrc::BadHeaderName},
        {"NoColon\r\n", ParseErrc::MissingColon},
        {": novalue\r\n", ParseErrc::BadHeaderName},
        {" continuation: x\r\n", ParseErrc::BadHeaderName},
        {"Na<me: x\r\n", ParseErrc::BadHeaderName},
        {"\rX\r\n", ParseErrc::BadLineEnding},
    };
    for (const Case& c : cases) {
        SipMsg m;
        std::string msg = "OPTIONS sip:a@b SIP/2.0\r\n" + c.line + "Via: SIP/2.0/UDP h\r\n\r\n";
        EXPECT_FALSE(parseMsg(m, msg)) << c.line;
        EXPECT_STREQ(parseErrcName(m.error.code), parseErrcName(c.code)) << c.line;
    }
    SipMsg m;
    EXPECT_FALSE(parseMsg(m, "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n"));
    EXPECT_EQ(m.error.code, ParseErrc::Truncated) << "no empty line after headers";
}

TEST(SipMsg, NextHeaderScansLazily) {
    std::string msg =
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2\r\n"
        "To: <sip:x@y>;tag=1\r\nVia: SIP/2.0/UDP c;branch=z9hG4bK3\r\nContent-Length: 0\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, msg));
    HeaderField* v1 = findHeader(m, HeaderKind::Via);
    ASSERT_NE(v1, nullptr);
    EXPECT_EQ(m.headerCount(), 1u);
    HeaderField* v2 = nextHeader(m, *v1);
    ASSERT_NE(v2, nullptr);
    EXPECT_EQ(m.headerCount(), 3u);
    EXPECT_EQ(nextHeader(m, *v2), nullptr);
    EXPECT_TRUE(m.headersComplete());
    const ViaBody* b = parseVia(m, *v1);
    ASSERT_NE(b, nullptr);
    ASSERT_NE(b->next, nullptr);
    EXPECT_EQ(b->next->host, "b");
    EXPECT_EQ(parseVia(m, *v2)->host, "c");
}

TEST(SipMsg, ManyHeadersKeepStablePointers) {
    std::string msg = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n";
    for (int i = 0; i < 300; ++i)
        msg += "X-H" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
    msg += "Call-ID: last\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, msg));
    ASSERT_TRUE(parseHeaders(m, HDR_OTHER));
    HeaderField* first = &m.header(1);
    ASSERT_TRUE(parseHeaders(m, HDR_EOH)) << m.errorText();
    EXPECT_EQ(m.headerCount(), 302u);
    EXPECT_EQ(first, &m.header(1));
    EXPECT_EQ(first->value, "v0");
    EXPECT_EQ(m.header(250).value, "v249");
    EXPECT_EQ(m.indexOf(m.header(250)), 250u);
    EXPECT_EQ(getCallId(m), "last");
}

TEST(SipMsg, TooManyHeadersIsAnError) {
    std::string msg = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n";
    for (int i = 0; i < 1100; ++i) msg += "X: y\r\n";
    msg += "\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, msg));
    EXPECT_FALSE(parseHeaders(m, HDR_EOH));
    EXPECT_EQ(m.error.code, ParseErrc::TooManyHeaders);
}

TEST(SipMsg, BodyBounds) {
    SipMsg m;
    const std::string junk = kInvite + "trailing junk";
    ASSERT_TRUE(parseMsg(m, junk));
    ASSERT_TRUE(findBody(m));
    EXPECT_EQ(m.body, "v=0\n") << "octets after Content-Length are ignored (datagram)";
    std::string noCl = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\nrest of datagram";
    ASSERT_TRUE(parseMsg(m, noCl));
    ASSERT_TRUE(findBody(m));
    EXPECT_EQ(m.body, "rest of datagram");
    std::string shortBody = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nl: 50\r\n\r\nabc";
    ASSERT_TRUE(parseMsg(m, shortBody));
    EXPECT_FALSE(findBody(m));
    EXPECT_EQ(m.error.code, ParseErrc::BodyTooShort);
    EXPECT_EQ(m.errorStatus(), 400);
}

TEST(SipMsg, CheckMessageFindsMismatchAndMissing) {
    std::string bye =
        "BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=1\r\n"
        "From: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 2 INVITE\r\nl: 0\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, bye));
    EXPECT_FALSE(checkMessage(m));
    EXPECT_EQ(m.error.code, ParseErrc::CSeqMethodMismatch);
    std::string text(m.errorText());
    EXPECT_NE(text.find("CSeq: method 'INVITE' does not match request method 'BYE'"),
              std::string::npos)
        << text;
    EXPECT_EQ(m.reasonPhrase(), "Bad CSeq - method mismatch");
    EXPECT_EQ(m.error.offset, bye.find("INVITE"));

    std::string noFrom =
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:a@b>\r\n"
        "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
    ASSERT_TRUE(parseMsg(m, noFrom));
    EXPECT_FALSE(checkMessage(m));
    EXPECT_EQ(m.error.code, ParseErrc::MissingHeader);
    EXPECT_EQ(m.error.kind, HeaderKind::From);
    EXPECT_EQ(m.reasonPhrase(), "Bad Request - missing From");
}

TEST(SipMsg, FirstErrorSticks) {
    std::string msg =
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCSeq: x OPTIONS\r\n"
        "Max-Forwards: abc\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, msg));
    EXPECT_EQ(getCSeq(m), nullptr);
    EXPECT_EQ(m.error.kind, HeaderKind::CSeq);
    EXPECT_EQ(getMaxForwards(m), nullptr);
    EXPECT_EQ(m.error.kind, HeaderKind::CSeq) << "later errors do not overwrite the first";
}

TEST(SipMsg, SuggestedStatusAndReasonPhrases) {
    SipMsg m;
    const std::string v3 = withStartLine("OPTIONS sip:a@b SIP/3.0");
    ASSERT_FALSE(parseMsg(m, v3));
    EXPECT_EQ(m.errorStatus(), 505);
    EXPECT_EQ(m.reasonPhrase(), "Version Not Supported");
    const std::string foo = withStartLine("OPTIONS foo:bar SIP/2.0");
    ASSERT_TRUE(parseMsg(m, foo));
    EXPECT_EQ(requestUri(m), nullptr);
    EXPECT_EQ(m.error.code, ParseErrc::UnsupportedUriScheme);
    EXPECT_EQ(m.errorStatus(), 416);
    const std::string ctl = withStartLine("OPTIONS sip:a\x01@b SIP/2.0");
    ASSERT_FALSE(parseMsg(m, ctl));
    std::string t(m.errorText());
    EXPECT_NE(t.find("\\x01"), std::string::npos) << "control octets are escaped in logs: " << t;
}

TEST(SipMsg, ResetReusesTheArena) {
    std::string msg = "OPTIONS sip:a@b SIP/2.0\r\n";
    for (int i = 0; i < 60; ++i)
        msg += "Via: SIP/2.0/UDP host" + std::to_string(i) + ".example.com;branch=z9hG4bK" +
               std::to_string(i) + "\r\n";
    msg += "\r\n";
    SipMsg m;
    for (int round = 0; round < 3; ++round) {
        ASSERT_TRUE(parseMsg(m, msg));
        ASSERT_TRUE(parseAll(m)) << m.errorText();
        EXPECT_GT(m.arena.chunkCount(), 0u) << "60 Via bodies exceed the inline arena";
        m.reset();
        EXPECT_EQ(m.arena.chunkCount(), 0u);
        EXPECT_EQ(m.headerCount(), 0u);
    }
}

TEST(SipMsg, SystemAllocationCountSeesAnAllocation) {  // so the zero below means something
    const long before = osprey::testsupport::systemAllocs();
    void* volatile p = std::malloc(64);
    std::free(p);
    EXPECT_EQ(osprey::testsupport::systemAllocs() - before, 1);
}

TEST(SipMsg, NoSystemAllocationsOnTheParsePath) {
    std::string msg = kInvite;
    SipMsg m;
    long before = osprey::testsupport::systemAllocs();
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(parseMsg(m, msg));
        ASSERT_TRUE(parseAll(m));
        ASSERT_TRUE(checkMessage(m));
        m.reset();
    }
    EXPECT_EQ(osprey::testsupport::systemAllocs() - before, 0);
}
