// Value parsers of the other headers: CSeq, numbers (Max-Forwards, Content-Length, Expires),
// token lists (Require, Supported, Allow, Accept), credentials and challenges, Event,
// Content-Type, Call-ID, Date, text headers, and the parameter iterator.
#include <gtest/gtest.h>

#include "core/sip/content_type.h"
#include "core/sip/cseq.h"
#include "core/sip/digest.h"
#include "core/sip/event.h"
#include "core/sip/number_header.h"
#include "core/sip/params.h"
#include "core/sip/text_header.h"
#include "core/sip/token_list.h"
#include "test/unit/sip_test_msg.h"

using namespace osprey::sip;
using osprey::sip::test::oneHeader;

namespace {

// Parses the first header with its typed parser and returns the error code (None on success).
template <class F>
ParseErrc errorOf(const std::string& line, F parse) {
    auto o = oneHeader(line);
    if (!o->h) return o->msg.error.code;
    parse(o->msg, *o->h);
    return o->msg.error.code;
}

}  // namespace

TEST(SipCSeq, Values) {
    auto o = oneHeader("CSeq: 0009\r\n  INVITE");
    const CSeqBody* c = parseCSeq(o->msg, *o->h);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->number, 9u);
    EXPECT_EQ(c->method, Method::Invite);
    auto big = oneHeader("CSeq: 4294967295 !interesting-Method0123456789_*+`.%indeed'~");
    c = parseCSeq(big->msg, *big->h);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->number, 4294967295u);
    EXPECT_EQ(c->method, Method::Other);
    EXPECT_EQ(c->methodText, "!interesting-Method0123456789_*+`.%indeed'~");
    auto cs = [](SipMsg& m, HeaderField& h) { parseCSeq(m, h); };
    EXPECT_EQ(errorOf("CSeq: 36893488147419103232 REGISTER", cs), ParseErrc::NumberTooLarge);
    EXPECT_EQ(errorOf("CSeq: 4294967296 INVITE", cs), ParseErrc::NumberTooLarge);
    EXPECT_EQ(errorOf("CSeq: INVITE", cs), ParseErrc::BadNumber);
    EXPECT_EQ(errorOf("CSeq: 1", cs), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("CSeq: 1INVITE", cs), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("CSeq: 1 INVITE x", cs), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("CSeq: -1 INVITE", cs), ParseErrc::BadNumber);
}

TEST(SipNumberHeaders, RangesAndErrors) {
    auto mf = [](SipMsg& m, HeaderField& h) { parseNumberHeader(m, h); };
    auto o = oneHeader("MaX-fOrWaRdS: 0068");
    const NumberBody* n = parseNumberHeader(o->msg, *o->h);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->value, 68u);
    EXPECT_EQ(errorOf("Max-Forwards: 255", mf), ParseErrc::None);
    EXPECT_EQ(errorOf("Max-Forwards: 256", mf), ParseErrc::NumberTooLarge);
    EXPECT_EQ(errorOf("Max-Forwards: 300", mf), ParseErrc::NumberTooLarge);
    EXPECT_EQ(errorOf("Content-Length: -999", mf), ParseErrc::BadNumber);
    EXPECT_EQ(errorOf("Content-Length: 4294967296", mf), ParseErrc::NumberTooLarge);
    EXPECT_EQ(errorOf("l: 12 34", mf), ParseErrc::BadNumber);
    EXPECT_EQ(errorOf("Content-Length:", mf), ParseErrc::BadNumber);
    EXPECT_EQ(errorOf("Expires: 60, 70", mf), ParseErrc::MultipleValues);
    auto e = oneHeader("Expires: 10000000000000000000000000000000000000000");
    const NumberBody* ev = parseNumberHeader(e->msg, *e->h);
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->value, 0xffffffffu) << "oversized expiry saturates";
    auto c = oneHeader("Content-Length: 0");
    ASSERT_NE(getContentLength(c->msg), nullptr);
    EXPECT_EQ(getContentLength(c->msg)->value, 0u);
    EXPECT_EQ(getExpires(c->msg), nullptr);
    EXPECT_FALSE(c->msg.error) << "absent is not an error";
}

TEST(SipTokenList, OptionTagsAndMethods) {
    auto o = oneHeader("Require: nothingSupportsThis, nothingSupportsThisEither");
    const TokenList* l = parseTokenList(o->msg, *o->h);
    ASSERT_NE(l, nullptr);
    ASSERT_EQ(l->count, 2u);
    EXPECT_EQ(l->items[0], "nothingSupportsThis");
    EXPECT_TRUE(tokenListHas(*l, "NOTHINGSUPPORTSTHISEITHER"));
    EXPECT_FALSE(tokenListHas(*l, "100rel"));
    auto a = oneHeader("Allow: INVITE, ACK,\r\n CANCEL ,BYE, FOO");
    l = parseTokenList(a->msg, *a->h);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->count, 5u);
    EXPECT_EQ(l->methods, methodBit(Method::Invite) | methodBit(Method::Ack) |
                              methodBit(Method::Cancel) | methodBit(Method::Bye));
    auto k = oneHeader("k:");
    l = parseTokenList(k->msg, *k->h);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->count, 0u);
    auto acc = oneHeader(
        "Accept: application/sdp, application/pkcs7-mime,\r\n        multipart/mixed;level=1");
    l = parseTokenList(acc->msg, *acc->h);
    ASSERT_NE(l, nullptr) << acc->msg.errorText();
    ASSERT_EQ(l->count, 3u);
    EXPECT_EQ(l->items[1], "application/pkcs7-mime");
    auto tl = [](SipMsg& m, HeaderField& h) { parseTokenList(m, h); };
    EXPECT_EQ(errorOf("Supported: a,,b", tl), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("Supported: a b", tl), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("Accept: application", tl), ParseErrc::BadValue);
}

TEST(SipAuth, DigestCredentials) {
    auto o = oneHeader(
        "Authorization: Digest username=\"bob\", realm=\"biloxi.com\",\r\n "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
        "uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
        "response=\"6629fae49393a05397450978507c4ef1\", opaque = "
        "\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5");
    const AuthBody* a = parseAuth(o->msg, *o->h);
    ASSERT_NE(a, nullptr) << o->msg.errorText();
    EXPECT_TRUE(a->isDigest);
    EXPECT_EQ(a->username, "bob");
    EXPECT_EQ(a->realm, "biloxi.com");
    EXPECT_EQ(a->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    EXPECT_EQ(a->uri, "sip:bob@biloxi.com");
    EXPECT_EQ(a->qop, "auth");
    EXPECT_EQ(a->nc, "00000001");
    EXPECT_EQ(a->cnonce, "0a4f113b");
    EXPECT_EQ(a->response, "6629fae49393a05397450978507c4ef1");
    EXPECT_EQ(a->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    EXPECT_EQ(a->algorithm, "MD5");
}

TEST(SipAuth, ChallengesAndOtherSchemes) {
    auto w = oneHeader(
        "WWW-Authenticate: Digest realm=\"atlanta.com\", domain=\"sip:boxesbybob.com\", "
        "qop=\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", stale=FALSE");
    const AuthBody* a = parseAuth(w->msg, *w->h);
    ASSERT_NE(a, nullptr) << w->msg.errorText();
    EXPECT_EQ(a->qop, "auth,auth-int");
    EXPECT_EQ(a->stale, "FALSE");
    EXPECT_EQ(a->domain, "sip:boxesbybob.com");
    auto u = oneHeader("Authorization: NoOneKnowsThisScheme opaque-data=here");  // RFC 4475 3.3.7
    a = parseAuth(u->msg, *u->h);
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->isDigest);
    EXPECT_EQ(a->scheme, "NoOneKnowsThisScheme");
    EXPECT_EQ(a->params, "opaque-data=here");
    auto b = oneHeader("Proxy-Authorization: Bearer mF_9.B5f-4.1JqM==");
    a = parseAuth(b->msg, *b->h);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->params, "mF_9.B5f-4.1JqM==");
    auto au = [](SipMsg& m, HeaderField& h) { parseAuth(m, h); };
    EXPECT_EQ(errorOf("Authorization: Digest username=\"bob", au), ParseErrc::UnterminatedQuote);
    EXPECT_EQ(errorOf("Authorization: Digest username", au), ParseErrc::BadParam);
    EXPECT_EQ(errorOf("Authorization: Digest realm=", au), ParseErrc::BadParam);
    EXPECT_EQ(errorOf("Authorization: =x", au), ParseErrc::BadValue);
}

TEST(SipEventAndContentType, Values) {
    auto e = oneHeader("o: dialog;id=1234;call-id=x");
    const EventBody* ev = parseEvent(e->msg, *e->h);
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->type, "dialog");
    EXPECT_EQ(ev->id, "1234");
    auto ev2 = [](SipMsg& m, HeaderField& h) { parseEvent(m, h); };
    EXPECT_EQ(errorOf("Event: presence, dialog", ev2), ParseErrc::MultipleValues);
    EXPECT_EQ(errorOf("Event: ;id=1", ev2), ParseErrc::BadValue);

    auto c = oneHeader("Content-Type: multipart/mixed;boundary=7a9cbec02ceef655");
    const ContentTypeBody* ct = parseContentType(c->msg, *c->h);
    ASSERT_NE(ct, nullptr);
    EXPECT_EQ(ct->type, "multipart");
    EXPECT_EQ(ct->subtype, "mixed");
    EXPECT_EQ(ct->boundary, "7a9cbec02ceef655");
    auto q = oneHeader("c: application / sdp ; charset=\"utf-8\"");
    ct = getContentType(q->msg);
    ASSERT_NE(ct, nullptr) << q->msg.errorText();
    EXPECT_EQ(ct->subtype, "sdp");
    EXPECT_EQ(ct->params, "charset=\"utf-8\"");
    auto ctf = [](SipMsg& m, HeaderField& h) { parseContentType(m, h); };
    EXPECT_EQ(errorOf("Content-Type: application", ctf), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("Content-Type: a/b, c/d", ctf), ParseErrc::MultipleValues);
}

TEST(SipTextHeaders, CallIdDateAndText) {
    auto o =
        oneHeader("Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");  // RFC 4475 3.1.1.2
    EXPECT_EQ(getCallId(o->msg), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    auto th = [](SipMsg& m, HeaderField& h) { parseTextHeader(m, h); };
    EXPECT_EQ(errorOf("Call-ID: a b", th), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("Call-ID: a@", th), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("Call-ID: a, b", th), ParseErrc::MultipleValues);
    EXPECT_EQ(errorOf("i:", th), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("Date: Sat, 15 Oct 2005 04:44:56 GMT", th), ParseErrc::None);
    EXPECT_EQ(errorOf("Date: Fri, 01 Jan 2010 16:00:00 EST", th), ParseErrc::BadValue);  // 3.1.2.12
    EXPECT_EQ(errorOf("Date: Sat, 15 Octo 2005 04:44:56 GMT", th), ParseErrc::BadValue);
    EXPECT_EQ(errorOf("User-Agent: Osprey/0.1 (Linux)", th), ParseErrc::None);
    EXPECT_EQ(errorOf("Subject: multi\r\n line", th), ParseErrc::None);
    EXPECT_EQ(errorOf(std::string("Subject: bad\x01octet"), th), ParseErrc::BadLineEnding);
    EXPECT_EQ(errorOf(std::string("Subject: bare\rcr"), th), ParseErrc::BadLineEnding);
    auto u = oneHeader("User-Agent: SIPimp.org/0.2.5 (curses)");
    EXPECT_EQ(getUserAgent(u->msg), "SIPimp.org/0.2.5 (curses)");
}

TEST(SipParams, Iterator) {
    std::string_view list = "lr;transport = tcp ;\r\n x=\"a;b\";maddr=[2001:db8::1]";
    ParamIter it(list);
    Param p;
    ASSERT_TRUE(it.next(p));
    EXPECT_EQ(p.name, "lr");
    EXPECT_FALSE(p.hasValue);
    ASSERT_TRUE(it.next(p));
    EXPECT_EQ(p.name, "transport");
    EXPECT_EQ(p.value, "tcp");
    ASSERT_TRUE(it.next(p));
    EXPECT_EQ(p.value, "\"a;b\"");
    ASSERT_TRUE(it.next(p));
    EXPECT_EQ(p.value, "[2001:db8::1]");
    EXPECT_FALSE(it.next(p));
    EXPECT_TRUE(it.ok());
    ParamIter bad("a;;b");
    ASSERT_TRUE(bad.next(p));
    EXPECT_FALSE(bad.next(p));
    EXPECT_FALSE(bad.ok());
}

TEST(SipTokenList, LongListsSpillToTheArena) {
    std::string line = "Supported: t0";
    for (int i = 1; i < 100; ++i) line += ", t" + std::to_string(i);
    auto o = oneHeader(line);
    ASSERT_NE(o->h, nullptr);
    const TokenList* l = parseTokenList(o->msg, *o->h);
    ASSERT_NE(l, nullptr) << o->msg.errorText();
    ASSERT_EQ(l->count, 100u);
    for (uint32_t i = 0; i < l->count; ++i) EXPECT_EQ(l->items[i], "t" + std::to_string(i));
}
