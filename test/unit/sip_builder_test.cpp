// MsgBuilder: each edit kind, combinations, overlap validation, and that the output re-parses
// to what is expected. Also zero-copy (unchanged text is a span of the original buffer).
#include <gtest/gtest.h>

#include <string>

#include "core/sip/builder.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/route.h"
#include "core/sip/via.h"
#include "test/support/pkg_env.h"

using namespace osprey::sip;
using osprey::testsupport::crlf;
using std::string;
using std::string_view;

namespace {

const string kInvite = crlf(
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\n"
    "Max-Forwards: 70\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\n"
    "CSeq: 1 INVITE\n"
    "Contact: <sip:alice@client.atlanta.example.com;transport=udp>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 5\n"
    "\n"
    "v=0\n");

// Parses `text` (kept alive by the fixture), builds, flattens, and re-parses the output.
struct Built {
    string in;
    SipMsg msg;
    OutSpans spans;
    string out;
    SipMsg re;

    explicit Built(string text) : in(std::move(text)) {}
    bool parse() { return parseMsg(msg, in); }
    BuildError build(MsgBuilder& b) {
        BuildError e = b.build(spans);
        if (e == BuildError::Ok) {
            out.resize(spans.bytes);
            EXPECT_EQ(flattenSpans(spans, out.data(), out.size()), spans.bytes);
        }
        return e;
    }
    bool reparse() { return parseMsg(re, out) && parseAll(re); }
};

string headerValue(SipMsg& m, HeaderKind k) {
    HeaderField* h = findHeader(m, k);
    return h ? string(h->value) : string("<absent>");
}

int countHeaders(SipMsg& m, HeaderKind k) {
    int n = 0;
    for (HeaderField* h = findHeader(m, k); h != nullptr; h = nextHeader(m, *h)) ++n;
    return n;
}

}  // namespace

TEST(SipBuilder, NoEditsIsTheOriginalAsOneSpan) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    EXPECT_EQ(t.out, kInvite);
    ASSERT_EQ(t.spans.count, 1u);
    EXPECT_EQ(t.spans.iov[0].iov_base, static_cast<const void*>(t.in.data()));  // zero copy
}

TEST(SipBuilder, DecrementMaxForwards) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.decrementMaxForwards(), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    ASSERT_NE(getMaxForwards(t.re), nullptr);
    EXPECT_EQ(getMaxForwards(t.re)->value, 69u);
    EXPECT_EQ(t.out.size(), kInvite.size());
    EXPECT_GE(t.spans.count, 3u);  // before, "69", after: the rest is not copied
}

TEST(SipBuilder, MaxForwardsInsertedWhenAbsentAndZeroRefused) {
    string noMf = kInvite;
    noMf.erase(noMf.find("Max-Forwards: 70\r\n"), 18);
    Built t(noMf);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.decrementMaxForwards(), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    ASSERT_NE(getMaxForwards(t.re), nullptr);
    EXPECT_EQ(getMaxForwards(t.re)->value, 70u);

    string zero = kInvite;
    zero.replace(zero.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    Built z(zero);
    ASSERT_TRUE(z.parse());
    MsgBuilder bz(z.msg);
    EXPECT_EQ(bz.decrementMaxForwards(), BuildError::TooManyHops);
}

TEST(SipBuilder, PushViaPutsNewViaOnTop) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.pushVia("SIP/2.0/UDP proxy.example.com:5060;branch=z9hG4bKproxy1"), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    ASSERT_NE(t.re.topVia, nullptr);
    EXPECT_EQ(t.re.topVia->host, "proxy.example.com");
    EXPECT_EQ(t.re.topVia->branch, "z9hG4bKproxy1");
    HeaderField* first = findHeader(t.re, HeaderKind::Via);
    ASSERT_NE(first, nullptr);
    HeaderField* second = nextHeader(t.re, *first);
    ASSERT_NE(second, nullptr);
    const ViaBody* v2 = parseVia(t.re, *second);
    ASSERT_NE(v2, nullptr);
    EXPECT_EQ(v2->branch, "z9hG4bK74bf9");
}

TEST(SipBuilder, PopViaRemovesTopValueOnly) {
    string resp = crlf(
        "SIP/2.0 200 OK\n"
        "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP "
        "c.example.com;branch=z9hG4bKc1\n"
        "Via: SIP/2.0/UDP d.example.com;branch=z9hG4bKd1\n"
        "From: <sip:a@example.com>;tag=1\n"
        "To: <sip:b@example.com>;tag=2\n"
        "Call-ID: x\n"
        "CSeq: 1 INVITE\n"
        "Content-Length: 0\n"
        "\n");
    Built t(resp);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.popVia(), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText() << "\n" << t.out;
    ASSERT_NE(t.re.topVia, nullptr);
    EXPECT_EQ(t.re.topVia->host, "c.example.com");
    EXPECT_EQ(countHeaders(t.re, HeaderKind::Via), 2);
    EXPECT_NE(t.out.find("Via: SIP/2.0/UDP c.example.com;branch=z9hG4bKc1\r\n"), string::npos);

    // Popping again from the result takes the whole (now single-value) first line.
    Built t2(t.out);
    ASSERT_TRUE(t2.parse());
    MsgBuilder b2(t2.msg);
    ASSERT_EQ(b2.popVia(), BuildError::Ok);
    ASSERT_EQ(t2.build(b2), BuildError::Ok);
    ASSERT_TRUE(t2.reparse());
    EXPECT_EQ(t2.re.topVia->host, "d.example.com");
    EXPECT_EQ(countHeaders(t2.re, HeaderKind::Via), 1);
}

TEST(SipBuilder, RemoveLastListValueTakesItsComma) {
    string msg = crlf(
        "OPTIONS sip:b@example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bKc1\n"
        "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n"
        "From: <sip:a@example.com>;tag=1\n"
        "To: <sip:b@example.com>\n"
        "Call-ID: x\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n"
        "\n");
    Built t(msg);
    ASSERT_TRUE(t.parse());
    HeaderField* route = findHeader(t.msg, HeaderKind::Route);
    ASSERT_NE(route, nullptr);
    const RouteBody* r = parseRoute(t.msg, *route);
    ASSERT_TRUE(r != nullptr && r->next != nullptr);
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.removeListValue(*route, r->next->addr.text), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    EXPECT_NE(t.out.find("Route: <sip:p1.example.com;lr>\r\n"), string::npos) << t.out;
    ASSERT_TRUE(t.reparse());
}

TEST(SipBuilder, AddRecordRouteBeforeExistingOnes) {
    string withRr = kInvite;
    withRr.insert(withRr.find("From:"), "Record-Route: <sip:p2.example.com;lr>\r\n");
    for (const string& text : {kInvite, withRr}) {
        Built t(text);
        ASSERT_TRUE(t.parse());
        MsgBuilder b(t.msg);
        ASSERT_EQ(b.addRecordRoute("<sip:p1.example.com;lr>"), BuildError::Ok);
        ASSERT_EQ(t.build(b), BuildError::Ok);
        ASSERT_TRUE(t.reparse()) << t.re.errorText();
        HeaderField* rr = findHeader(t.re, HeaderKind::RecordRoute);
        ASSERT_NE(rr, nullptr);
        EXPECT_EQ(rr->value, "<sip:p1.example.com;lr>");
        int expected = text == withRr ? 2 : 1;
        EXPECT_EQ(countHeaders(t.re, HeaderKind::RecordRoute), expected);
    }
}

TEST(SipBuilder, SetRequestUriDropsHeaders) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    EXPECT_EQ(b.setRequestUri("not a uri"), BuildError::BadUri);
    ASSERT_EQ(b.setRequestUri("sip:bob@192.0.2.4:5070;transport=tcp?Subject=x"), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    EXPECT_EQ(t.re.start.uri, "sip:bob@192.0.2.4:5070;transport=tcp");
    EXPECT_EQ(t.re.start.text, "INVITE sip:bob@192.0.2.4:5070;transport=tcp SIP/2.0");
    const SipUri* ru = requestUri(t.re);
    ASSERT_NE(ru, nullptr);
    EXPECT_EQ(ru->port, 5070);
}

TEST(SipBuilder, RequestOnlyEditsRefusedOnReplies) {
    string resp = crlf(
        "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP c.example.com;branch=z9hG4bKc1\n"
        "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>;tag=2\nCall-ID: x\n"
        "CSeq: 1 INVITE\nContent-Length: 0\n\n");
    Built t(resp);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    EXPECT_EQ(b.setRequestUri("sip:x@example.com"), BuildError::NotARequest);
    EXPECT_EQ(b.decrementMaxForwards(), BuildError::NotARequest);
}

TEST(SipBuilder, AddReceivedFollowsRfc3261And3581) {
    struct Case {
        const char* via;
        const char* ip;
        uint16_t port;
        const char* expect;  // the top Via value after the edit
    } cases[] = {
        {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", "192.0.2.1", 5060,
         "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1"},
        {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", "192.0.2.9", 5060,
         "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=192.0.2.9"},
        {"SIP/2.0/UDP pc.example.com;branch=z9hG4bK1", "192.0.2.1", 5060,
         "SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=192.0.2.1"},
        {"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport", "192.0.2.1", 40000,
         "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport=40000;received=192.0.2.1"},
        {"SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bK1", "198.51.100.7", 1024,
         "SIP/2.0/UDP 192.0.2.1;rport=1024;branch=z9hG4bK1;received=198.51.100.7"},
        {"SIP/2.0/UDP h.example.com;received=10.0.0.1;branch=z9hG4bK1", "192.0.2.3", 5060,
         "SIP/2.0/UDP h.example.com;received=192.0.2.3;branch=z9hG4bK1"},
        {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1", "[2001:DB8:0::1]", 5060,
         "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1"},
        {"SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1", "[2001:db8::2]", 5060,
         "SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;received=2001:db8::2"},
    };
    for (const Case& c : cases) {
        string text = kInvite;
        size_t vs = text.find("Via: ") + 5;
        text.replace(vs, text.find("\r\n", vs) - vs, c.via);
        Built t(text);
        ASSERT_TRUE(t.parse()) << c.via;
        MsgBuilder b(t.msg);
        ASSERT_EQ(b.addReceived(c.ip, c.port), BuildError::Ok) << c.via;
        ASSERT_EQ(t.build(b), BuildError::Ok);
        ASSERT_TRUE(t.reparse()) << t.re.errorText();
        EXPECT_EQ(headerValue(t.re, HeaderKind::Via), c.expect);
    }
}

// The rport value stays attached to its name whatever else is inserted at the Via's end, and
// in whichever order (found by test/fuzz/builder_fuzz.cpp: an insertion made before
// addReceived came between ";rport" and "=port").
TEST(SipBuilder, RportValueStaysWithItsNameWhateverIsInsertedAtTheViaEnd) {
    for (const char* rport : {";rport", ";RPort"}) {
        string text = kInvite;
        size_t vs = text.find("Via: ") + 5;
        text.replace(vs, text.find("\r\n", vs) - vs,
                     string("SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1") + rport);
        Built t(text);
        ASSERT_TRUE(t.parse()) << rport;
        MsgBuilder b(t.msg);
        const uint32_t end =
            t.msg.offsetOf(t.msg.topVia->text) + static_cast<uint32_t>(t.msg.topVia->text.size());
        ASSERT_EQ(b.insertAt(end, ";i=7"), BuildError::Ok);
        ASSERT_EQ(b.addReceived("198.51.100.7", 1024), BuildError::Ok);
        ASSERT_EQ(t.build(b), BuildError::Ok);
        ASSERT_TRUE(t.reparse()) << t.re.errorText() << "\n" << t.out;
        EXPECT_EQ(headerValue(t.re, HeaderKind::Via),
                  string("SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1") + rport +
                      "=1024;i=7;received=198.51.100.7");
    }
}

TEST(SipBuilder, HeaderAddRemoveReplace) {
    string text = kInvite;
    text.insert(text.find("Content-Type:"), "X-Trace: one\r\nx-trace: two\r\nSubject: hi\r\n");
    Built t(text);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    EXPECT_EQ(b.appendHeader("Bad Name", "v"), BuildError::BadHeader);
    EXPECT_EQ(b.appendHeader("X-Ok", "line\r\nInjected: yes"), BuildError::BadHeader);
    for (size_t at = 0; at < 40; ++at) {  // CR, LF or NUL anywhere in a long value
        for (char bad : {'\r', '\n', '\0'}) {
            string v(40, 'x');
            v[at] = bad;
            EXPECT_EQ(b.appendHeader("X-Long", v), BuildError::BadHeader) << at;
        }
    }
    EXPECT_EQ(b.editCount(), 0u);
    ASSERT_EQ(b.appendHeader("X-Appended", "last"), BuildError::Ok);
    ASSERT_EQ(b.prependHeader("X-Prepended", "first"), BuildError::Ok);
    ASSERT_EQ(b.removeHeadersByName("X-TRACE"), BuildError::Ok);
    ASSERT_EQ(b.removeHeaders(HeaderKind::Contact), BuildError::Ok);
    HeaderField* subj = findHeaderByName(t.msg, "Subject");
    ASSERT_NE(subj, nullptr);
    ASSERT_EQ(b.replaceHeaderValue(*subj, "changed"), BuildError::Ok);
    HeaderField* to = findHeader(t.msg, HeaderKind::To);
    ASSERT_EQ(b.insertHeaderBefore(*to, "X-Before-To", "b"), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText() << "\n" << t.out;
    EXPECT_EQ(t.re.header(0).name, "X-Prepended");
    EXPECT_EQ(t.re.header(t.re.headerCount() - 1).name, "X-Appended");
    EXPECT_EQ(findHeaderByName(t.re, "X-Trace"), nullptr);
    EXPECT_EQ(findHeader(t.re, HeaderKind::Contact), nullptr);
    ASSERT_NE(findHeaderByName(t.re, "subject"), nullptr);
    EXPECT_EQ(findHeaderByName(t.re, "subject")->value, "changed");
    HeaderField* before = findHeaderByName(t.re, "X-Before-To");
    ASSERT_NE(before, nullptr);
    EXPECT_EQ(t.re.header(t.re.indexOf(*before) + 1).kind, HeaderKind::To);
    // The body is intact and still matches Content-Length.
    ASSERT_TRUE(findBody(t.re));
    EXPECT_EQ(t.re.body, "v=0\r\n");
}

TEST(SipBuilder, OverlappingEditsAreRefused) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    HeaderField* to = findHeader(t.msg, HeaderKind::To);
    ASSERT_NE(to, nullptr);
    ASSERT_EQ(b.replaceHeaderValue(*to, "<sip:carol@example.com>"), BuildError::Ok);
    EXPECT_EQ(b.removeHeader(*to), BuildError::Overlap);
    EXPECT_EQ(b.replaceHeaderValue(*to, "<sip:dave@example.com>"), BuildError::Overlap);
    EXPECT_EQ(b.insertAt(t.msg.offsetOf(to->value) + 3, "x"), BuildError::Overlap);
    // Insertions at the edges of a changed range are fine.
    EXPECT_EQ(b.insertHeaderBefore(*to, "X-A", "1"), BuildError::Ok);
    EXPECT_EQ(b.insertAt(headerValueEnd(t.msg, *to), ";x=1"), BuildError::Ok);
    EXPECT_EQ(b.removeRange(10, 5), BuildError::BadRange);
    EXPECT_EQ(b.insertAt(static_cast<uint32_t>(t.in.size() + 1), "x"), BuildError::BadRange);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse());
    EXPECT_EQ(headerValue(t.re, HeaderKind::To), "<sip:carol@example.com>;x=1");
    EXPECT_EQ(findHeaderByName(t.re, "X-A")->value, "1");
}

TEST(SipBuilder, ManyEditsGrowBeyondInlineStorage) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    for (int i = 0; i < 100; ++i) {
        string v = "v" + std::to_string(i);
        ASSERT_EQ(b.appendHeader("X-N", v), BuildError::Ok);
    }
    EXPECT_EQ(b.editCount(), 100u);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    int n = 0;
    for (uint32_t i = 0; i < t.re.headerCount(); ++i) {
        if (t.re.header(i).name == "X-N") {
            EXPECT_EQ(t.re.header(i).value, "v" + std::to_string(n));  // order kept
            ++n;
        }
    }
    EXPECT_EQ(n, 100);
}

TEST(SipBuilder, SetBodyKeepsContentLengthRight) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    ASSERT_EQ(b.setBody(body, "application/sdp"), BuildError::Ok);
    EXPECT_EQ(b.setBody("again"), BuildError::Overlap);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    ASSERT_TRUE(findBody(t.re));
    EXPECT_EQ(t.re.body, body);
    EXPECT_EQ(getContentLength(t.re)->value, body.size());
    EXPECT_EQ(countHeaders(t.re, HeaderKind::ContentLength), 1);
}

TEST(SipBuilder, EditsInsideTheBodyKeepContentLengthRight) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    ASSERT_TRUE(findBody(t.msg));
    MsgBuilder b(t.msg);
    // "v=0\r\n" -> "v=10\r\na=x\r\n": a replacement and an insertion at the body's end.
    const uint32_t at = t.msg.offsetOf(t.msg.body);
    ASSERT_EQ(b.replaceRange(at + 2, at + 3, "10"), BuildError::Ok);
    ASSERT_EQ(b.insertAt(at + static_cast<uint32_t>(t.msg.body.size()), "a=x\r\n"), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    ASSERT_TRUE(findBody(t.re));
    EXPECT_EQ(t.re.body, "v=10\r\na=x\r\n");
    EXPECT_EQ(getContentLength(t.re)->value, 11u);
    EXPECT_EQ(countHeaders(t.re, HeaderKind::ContentLength), 1);
}

TEST(SipBuilder, RemovedContentLengthComesBack) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.removeHeaders(HeaderKind::ContentLength), BuildError::Ok);
    ASSERT_EQ(b.setBody("hello"), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText() << "\n" << t.out;
    EXPECT_EQ(countHeaders(t.re, HeaderKind::ContentLength), 1);
    EXPECT_EQ(getContentLength(t.re)->value, 5u);
    ASSERT_TRUE(findBody(t.re));
    EXPECT_EQ(t.re.body, "hello");
}

TEST(SipBuilder, ContentLengthAddedAndTrailingOctetsDropped) {
    // RFC 2543-style datagram without Content-Length: the forwarded copy gets one.
    string noCl = crlf(
        "OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP c.example.com;branch=z9hG4bKc1\n"
        "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: x\n"
        "CSeq: 1 OPTIONS\nMax-Forwards: 5\n\nbody");
    Built t(noCl);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    ASSERT_NE(getContentLength(t.re), nullptr);
    EXPECT_EQ(getContentLength(t.re)->value, 4u);

    // RFC 4475 3.1.1.8: octets after Content-Length are not forwarded.
    string junk = kInvite + "INVITE sip:junk SIP/2.0\r\n";
    Built j(junk);
    ASSERT_TRUE(j.parse());
    MsgBuilder bj(j.msg);
    ASSERT_EQ(j.build(bj), BuildError::Ok);
    EXPECT_EQ(j.out, kInvite);
}

TEST(SipBuilder, RequestLineCanonicalAndUriHeadersDropped) {
    // RFC 4475 3.1.2.11: escaped headers in the Request-URI never leave.
    string esc = kInvite;
    esc.replace(0, esc.find(" SIP/2.0"), "INVITE sip:user@example.com?Route=%3Csip:example.com%3E");
    Built t(esc);
    t.parse();  // the parser may flag it; the builder must still strip it if asked to forward
    if (!t.msg.start.uri.empty()) {
        t.msg.error = ParseError{};
        MsgBuilder b(t.msg);
        ASSERT_EQ(t.build(b), BuildError::Ok);
        EXPECT_EQ(t.out.substr(0, t.out.find("\r\n")), "INVITE sip:user@example.com SIP/2.0");
    }
}

TEST(SipBuilder, MalformedDisplayNameIsQuoted) {
    // RFC 4475 3.1.2.15 (baddn): "Bell, Alexander" must not be propagated as is.
    string text = kInvite;
    text.replace(text.find("From: Alice"), 11, "From: Bell, Alexander");
    text.replace(text.find("To: Bob"), 7, "To:   Watson, Thomas");
    Built t(text);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    EXPECT_NE(
        t.out.find("From: \"Bell, Alexander\" <sip:alice@atlanta.example.com>;tag=9fxced76sl"),
        string::npos)
        << t.out;
    EXPECT_NE(t.out.find("To:   \"Watson, Thomas\" <sip:bob@biloxi.example.com>"), string::npos);
    ASSERT_TRUE(t.reparse()) << t.re.errorText();
    EXPECT_EQ(displayNameText(getFrom(t.re)->addr), "Bell, Alexander");
}

TEST(SipBuilder, ProxyForwardCombination) {
    Built t(kInvite);
    ASSERT_TRUE(t.parse());
    MsgBuilder b(t.msg);
    ASSERT_EQ(b.decrementMaxForwards(), BuildError::Ok);
    ASSERT_EQ(b.addReceived("198.51.100.1", 5062), BuildError::Ok);
    ASSERT_EQ(b.addRecordRoute("<sip:192.0.2.10;lr>"), BuildError::Ok);
    ASSERT_EQ(b.pushVia("SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd;rport"), BuildError::Ok);
    ASSERT_EQ(b.setRequestUri("sip:bob@192.0.2.20"), BuildError::Ok);
    ASSERT_EQ(b.appendHeader("X-Proxied", "yes"), BuildError::Ok);
    ASSERT_EQ(t.build(b), BuildError::Ok);
    // Building twice gives the same result.
    OutSpans again;
    ASSERT_EQ(b.build(again), BuildError::Ok);
    EXPECT_EQ(again.bytes, t.spans.bytes);

    ASSERT_TRUE(t.reparse()) << t.re.errorText() << "\n" << t.out;
    EXPECT_EQ(t.re.start.uri, "sip:bob@192.0.2.20");
    EXPECT_EQ(t.re.topVia->branch, "z9hG4bKfwd");
    EXPECT_EQ(getMaxForwards(t.re)->value, 69u);
    EXPECT_EQ(headerValue(t.re, HeaderKind::RecordRoute), "<sip:192.0.2.10;lr>");
    HeaderField* v2 = nextHeader(t.re, *findHeader(t.re, HeaderKind::Via));
    ASSERT_NE(v2, nullptr);
    EXPECT_EQ(
        v2->value,
        "SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=198.51.100.1");
    EXPECT_EQ(getCSeq(t.re)->number, 1u);
    EXPECT_EQ(getFrom(t.re)->tag, "9fxced76sl");
    ASSERT_TRUE(findBody(t.re));
    EXPECT_EQ(t.re.body, "v=0\r\n");

    char small[16];
    EXPECT_EQ(flattenSpans(t.spans, small, sizeof small), 0u);
    EXPECT_EQ(flattenSpans(t.spans, t.msg.arena), t.out);
}

// The parser refuses more than SipMsg::kMaxHeaders header lines, so headers added to a message
// near that limit would make one Osprey itself refuses (found by the builder fuzz target: a
// message of 1016 headers plus 20 prepended ones did not parse back).
TEST(SipBuilder, NoMoreHeadersThanTheParserAccepts) {
    string fill;
    for (unsigned i = 0; i < SipMsg::kMaxHeaders - 8; ++i) fill += "a:\n";
    const string text = crlf(
        "OPTIONS sip:b@example.com SIP/2.0\nTo: <sip:b@example.com>\n"
        "From: <sip:a@example.com>;tag=1\nCall-ID: x\nCSeq: 1 OPTIONS\n" +
        fill + "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bKc1\nContent-Length: 0\n\n");

    // 1022 headers: two more fit (1024), a third does not.
    Built fits(text);
    ASSERT_TRUE(fits.parse());
    ASSERT_TRUE(parseAll(fits.msg)) << fits.msg.errorText();
    ASSERT_EQ(fits.msg.headerCount(), SipMsg::kMaxHeaders - 2);
    MsgBuilder b(fits.msg);
    ASSERT_EQ(b.prependHeader("X-One", "1"), BuildError::Ok);
    ASSERT_EQ(b.pushVia("SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd"), BuildError::Ok);
    ASSERT_EQ(fits.build(b), BuildError::Ok);
    ASSERT_TRUE(fits.reparse()) << fits.re.errorText();
    EXPECT_EQ(fits.re.headerCount(), SipMsg::kMaxHeaders);

    Built over(text);
    ASSERT_TRUE(over.parse());
    MsgBuilder bo(over.msg);
    ASSERT_EQ(bo.prependHeader("X-One", "1"), BuildError::Ok);
    ASSERT_EQ(bo.appendHeader("X-Two", "2"), BuildError::Ok);
    ASSERT_EQ(bo.pushVia("SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd"), BuildError::Ok);
    EXPECT_EQ(over.build(bo), BuildError::TooManyHeaders);
    OutSpans spans;
    EXPECT_EQ(bo.buildHeaders(spans), BuildError::TooManyHeaders);

    // Headers removed make room again: the count is of the result, not of what was added.
    Built room(text);
    ASSERT_TRUE(room.parse());
    ASSERT_TRUE(scanAllHeaders(room.msg));
    MsgBuilder br(room.msg);
    for (uint32_t i = 10; i < 20; ++i)
        ASSERT_EQ(br.removeHeader(room.msg.header(i)), BuildError::Ok);
    for (int i = 0; i < 12; ++i) ASSERT_EQ(br.appendHeader("X-More", "m"), BuildError::Ok);
    ASSERT_EQ(room.build(br), BuildError::Ok);
    ASSERT_TRUE(room.reparse()) << room.re.errorText();
    EXPECT_EQ(room.re.headerCount(), SipMsg::kMaxHeaders);
}
