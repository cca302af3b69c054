// Local replies (buildReply): copied headers, To tag rules, Record-Route for dialog-creating
// responses, received/rport, extra headers and body; the output re-parses as a response.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/sip/builder.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/reply.h"
#include "core/sip/via.h"
#include "test/support/pkg_env.h"

using namespace osprey::sip;
using std::string;
using std::string_view;
using osprey::testsupport::crlf;

namespace {

const string kInvite = crlf(
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP "
    "a.example.com;branch=z9hG4bKa\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport\n"
    "Max-Forwards: 70\n"
    "Record-Route: <sip:p2.example.com;lr>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
    "Record-Route: <sip:p1.example.com;lr>\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\n"
    "CSeq: 1 INVITE\n"
    "Contact: <sip:alice@client.atlanta.example.com>\n"
    "Content-Length: 0\n"
    "\n");

struct Reply {
    string in;
    SipMsg req;
    OutSpans spans;
    string out;
    SipMsg resp;

    explicit Reply(string text) : in(std::move(text)) {}
    BuildError make(uint16_t status, string_view reason, const ReplyOptions& opt = {}) {
        parseMsg(req, in);
        BuildError e = buildReply(req, status, reason, opt, spans);
        if (e == BuildError::Ok) {
            out.resize(spans.bytes);
            EXPECT_EQ(flattenSpans(spans, out.data(), out.size()), spans.bytes);
            EXPECT_TRUE(parseMsg(resp, out) && parseAll(resp)) << resp.errorText() << "\n" << out;
        }
        return e;
    }
    std::vector<string> values(HeaderKind k) {
        std::vector<string> v;
        for (HeaderField* h = findHeader(resp, k); h != nullptr; h = nextHeader(resp, *h)) {
            v.emplace_back(h->value);
        }
        return v;
    }
};

}  // namespace

TEST(SipReply, NotFoundCopiesTheRightHeaders) {
    Reply r(kInvite);
    ASSERT_EQ(r.make(404, "Not Found"), BuildError::Ok);
    EXPECT_FALSE(r.resp.isRequest());
    EXPECT_EQ(r.resp.start.status, 404);
    EXPECT_EQ(r.resp.start.reason, "Not Found");
    // Every Via value, in order, untouched.
    std::vector<string> vias = r.values(HeaderKind::Via);
    ASSERT_EQ(vias.size(), 2u);
    EXPECT_EQ(vias[0],
              "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP "
              "a.example.com;branch=z9hG4bKa");
    EXPECT_EQ(vias[1], "SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport");
    EXPECT_EQ(getFrom(r.resp)->tag, "9fxced76sl");
    EXPECT_EQ(getCSeq(r.resp)->number, 1u);
    EXPECT_EQ(getCSeq(r.resp)->method, Method::Invite);
    EXPECT_EQ(findHeader(r.resp, HeaderKind::CallId)->value,
              "3848276298220188511@atlanta.example.com");
    // A 4xx establishes no dialog: no Record-Route; nothing else leaks from the request.
    EXPECT_EQ(findHeader(r.resp, HeaderKind::RecordRoute), nullptr);
    EXPECT_EQ(findHeader(r.resp, HeaderKind::Contact), nullptr);
    EXPECT_EQ(findHeader(r.resp, HeaderKind::MaxForwards), nullptr);
    // A To tag is added, and Content-Length is there.
    const FromToBody* to = getTo(r.resp);
    ASSERT_NE(to, nullptr);
    EXPECT_EQ(to->tag.size(), 16u);
    EXPECT_EQ(findHeader(r.resp, HeaderKind::ContentLength)->value, "0");
    // Most of the reply is spans of the request.
    size_t fromRequest = 0;
    for (uint32_t i = 0; i < r.spans.count; ++i) {
        auto* p = static_cast<const char*>(r.spans.iov[i].iov_base);
        if (p >= r.in.data() && p < r.in.data() + r.in.size())
            fromRequest += r.spans.iov[i].iov_len;
    }
    EXPECT_GT(fromRequest, r.out.size() / 2);
}

TEST(SipReply, TryingHasNoToTagAndDefaultReason) {
    Reply r(kInvite);
    ASSERT_EQ(r.make(100, ""), BuildError::Ok);
    EXPECT_EQ(r.resp.start.reason, "Trying");
    EXPECT_TRUE(getTo(r.resp)->tag.empty());
    EXPECT_EQ(findHeader(r.resp, HeaderKind::RecordRoute), nullptr);  // 100 creates no dialog
}

TEST(SipReply, DialogCreatingResponsesCopyRecordRoute) {
    for (uint16_t status : {180, 200}) {
        Reply r(kInvite);
        ASSERT_EQ(r.make(status, ""), BuildError::Ok);
        std::vector<string> rr = r.values(HeaderKind::RecordRoute);
        ASSERT_EQ(rr.size(), 2u) << status;
        EXPECT_EQ(rr[0], "<sip:p2.example.com;lr>");  // order kept (RFC 3261 §12.1.1)
        EXPECT_EQ(rr[1], "<sip:p1.example.com;lr>");
        EXPECT_FALSE(getTo(r.resp)->tag.empty());
    }
    // OPTIONS creates no dialog.
    string options = kInvite;
    options.replace(0, 6, "OPTIONS");
    options.replace(options.find("CSeq: 1 INVITE"), 14, "CSeq: 1 OPTIONS");
    Reply o(options);
    ASSERT_EQ(o.make(200, "OK"), BuildError::Ok);
    EXPECT_EQ(findHeader(o.resp, HeaderKind::RecordRoute), nullptr);
}

TEST(SipReply, ExistingToTagKeptAndGivenTagUsed) {
    string tagged = kInvite;
    tagged.replace(tagged.find("To: Bob <sip:bob@biloxi.example.com>"), 36,
                   "To: Bob <sip:bob@biloxi.example.com>;tag=abc");
    Reply r(tagged);
    ASSERT_EQ(r.make(481, ""), BuildError::Ok);
    EXPECT_EQ(getTo(r.resp)->tag, "abc");
    EXPECT_EQ(r.out.find(";tag=abc;tag="), string::npos);

    ReplyOptions opt;
    opt.toTag = "mytag-1";
    Reply g(kInvite);
    ASSERT_EQ(g.make(486, "Busy Here", opt), BuildError::Ok);
    EXPECT_EQ(getTo(g.resp)->tag, "mytag-1");
}

TEST(SipReply, DerivedTagIsStablePerRequestAndDiffersAcrossRequests) {
    Reply a(kInvite), b(kInvite);
    ASSERT_EQ(a.make(404, ""), BuildError::Ok);
    ASSERT_EQ(b.make(404, ""), BuildError::Ok);
    EXPECT_EQ(getTo(a.resp)->tag, getTo(b.resp)->tag);  // a retransmission gets the same tag
    string other = kInvite;
    other.replace(other.find("Call-ID: 3"), 10, "Call-ID: 4");
    Reply c(other);
    ASSERT_EQ(c.make(404, ""), BuildError::Ok);
    EXPECT_NE(getTo(a.resp)->tag, getTo(c.resp)->tag);
}

TEST(SipReply, ReceivedAndRportOnTopVia) {
    string text = kInvite;
    // Make the client's Via the top one, with rport.
    size_t v1 = text.find("Via: SIP/2.0/UDP proxy");
    text.erase(v1, text.find("\r\n", v1) + 2 - v1);
    Reply r(text);
    ReplyOptions opt;
    opt.srcIp = "198.51.100.4";
    opt.srcPort = 40123;
    ASSERT_EQ(r.make(200, "OK", opt), BuildError::Ok);
    ASSERT_NE(r.resp.topVia, nullptr);
    EXPECT_EQ(r.resp.topVia->rport, "40123");
    EXPECT_EQ(r.resp.topVia->received, "198.51.100.4");
}

TEST(SipReply, ReceivedBeforeRportInTheViaKeepsEditsInOrder) {
    // Found by the fuzzer: an existing received= before rport=N in the top Via.
    string text = kInvite;
    size_t v1 = text.find("Via: SIP/2.0/UDP proxy");
    text.replace(
        v1, text.find("\r\n", v1) - v1,
        "Via: SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKx;received=192.0.2.9;rport=5070");
    Reply r(text);
    ReplyOptions opt;
    opt.srcIp = "198.51.100.2";
    opt.srcPort = 1234;
    ASSERT_EQ(r.make(200, "OK", opt), BuildError::Ok);
    EXPECT_EQ(r.values(HeaderKind::Via)[0],
              "SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKx;received=198.51.100.2;rport=1234");
}

TEST(SipReply, ExtraHeadersAndBody) {
    ReplyOptions opt;
    opt.extraHeaders = "Server: Osprey\r\nAllow: INVITE, ACK, BYE";  // last CRLF added
    opt.body = "<html>hello</html>";
    opt.contentType = "text/html";
    Reply r(kInvite);
    ASSERT_EQ(r.make(200, "OK", opt), BuildError::Ok);
    ASSERT_NE(findHeader(r.resp, HeaderKind::Server), nullptr);
    EXPECT_EQ(findHeader(r.resp, HeaderKind::Server)->value, "Osprey");
    EXPECT_EQ(findHeader(r.resp, HeaderKind::Allow)->value, "INVITE, ACK, BYE");
    EXPECT_EQ(findHeader(r.resp, HeaderKind::ContentType)->value, "text/html");
    ASSERT_TRUE(findBody(r.resp));
    EXPECT_EQ(r.resp.body, opt.body);

    ReplyOptions bad;
    bad.extraHeaders = "X-A: 1\r\n\r\nInjected body";
    Reply b(kInvite);
    EXPECT_EQ(b.make(200, "OK", bad), BuildError::BadHeader);
}

TEST(SipReply, ErrorsAndReasonCleanup) {
    Reply r(kInvite);
    EXPECT_EQ(r.make(99, ""), BuildError::BadStatus);
    EXPECT_EQ(r.make(700, ""), BuildError::BadStatus);
    Reply c(kInvite);
    ASSERT_EQ(c.make(503, "Bad\r\nX-Injected: 1"), BuildError::Ok);
    EXPECT_EQ(c.resp.start.reason, "Service Unavailable");
    EXPECT_EQ(findHeaderByName(c.resp, "X-Injected"), nullptr);

    string noVia = kInvite;
    for (size_t v; (v = noVia.find("Via:")) != string::npos;) {
        noVia.erase(v, noVia.find("\r\n", v) + 2 - v);
    }
    Reply n(noVia);
    EXPECT_EQ(n.make(400, ""), BuildError::NoVia);

    string resp = crlf(
        "SIP/2.0 200 OK\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bKa\nFrom: <sip:a@b>;tag=1\n"
        "To: <sip:c@d>\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
    Reply p(resp);
    EXPECT_EQ(p.make(200, ""), BuildError::NotARequest);
    EXPECT_EQ(defaultReasonPhrase(404), "Not Found");
    EXPECT_EQ(defaultReasonPhrase(499), "Client Error");
}

TEST(SipReply, BadRequestForABrokenRequestRepairsDisplayNames) {
    // RFC 4475 3.1.2.15 (baddn) answered with 400: the reply still goes back, and the
    // unquoted display names are quoted in it.
    string text = crlf(
        "OPTIONS sip:t.watson@example.org SIP/2.0\n"
        "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\n"
        "Max-Forwards:      70\n"
        "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n"
        "To:      Watson, Thomas <sip:t.watson@example.org>\n"
        "Call-ID: baddn.31415@c.example.com\n"
        "Accept: application/sdp\n"
        "CSeq:    3923239 OPTIONS\n"
        "l: 0\n\n");
    Reply r(text);
    ASSERT_EQ(r.make(400, "Bad From"), BuildError::Ok);
    EXPECT_NE(r.out.find("From:    \"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=43\r\n"),
              string::npos)
        << r.out;
    EXPECT_EQ(displayNameText(getTo(r.resp)->addr), "Watson, Thomas");
    EXPECT_FALSE(getTo(r.resp)->tag.empty());
}

TEST(SipReply, MissingHeadersStillAnswered) {
    // RFC 4475 3.3.1 (insuf): no Call-ID, From or To; the 400 goes back with what there is.
    string text = crlf(
        "INVITE sip:user@example.com SIP/2.0\n"
        "CSeq: 193942 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\n"
        "Content-Type: application/sdp\n"
        "l: 0\n\n");
    SipMsg req;
    parseMsg(req, text);
    OutSpans out;
    ASSERT_EQ(buildReply(req, 400, "Missing Call-ID", {}, out), BuildError::Ok);
    string flat(out.bytes, '\0');
    flattenSpans(out, flat.data(), flat.size());
    EXPECT_EQ(flat.rfind("SIP/2.0 400 Missing Call-ID\r\nVia: SIP/2.0/UDP "
                         "192.0.2.95;branch=z9hG4bKkdj.insuf\r\n",
                         0),
              0u)
        << flat;
    EXPECT_NE(flat.find("CSeq: 193942 INVITE\r\n"), string::npos);
    EXPECT_NE(flat.find("Content-Length: 0\r\n\r\n"), string::npos);
}
