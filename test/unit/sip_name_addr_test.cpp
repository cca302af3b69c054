// name-addr headers: From/To (display names, tags, params), Contact ("*", expires, q,
// +sip.instance, reg-id, lists), Route/Record-Route/Path lists, lazy URI parsing, and the
// malformed forms RFC 4475 describes.
#include <gtest/gtest.h>

#include "core/sip/contact.h"
#include "core/sip/from_to.h"
#include "core/sip/params.h"
#include "core/sip/route.h"
#include "test/unit/sip_test_msg.h"

using namespace osprey::sip;
using osprey::sip::test::oneHeader;

TEST(SipFromTo, DisplayNameForms) {
    struct Case {
        const char* line;
        const char* display;
        const char* uri;
        const char* tag;
    } cases[] = {
        {"From: \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
         "\"J Rosenberg \\\\\\\"\"", "sip:jdrosen@example.com", "98asjd8"},
        {"From: caller<sip:caller@example.com>;tag=323", "caller", "sip:caller@example.com", "323"},
        {"To: A. Bell <sip:a.g.bell@example.com>", "A. Bell", "sip:a.g.bell@example.com", ""},
        {"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.",
         "token1~` token2'+_ token3*%!.-", "sip:mundane@example.com", "_token~1'+`*%!-."},
        {"t: sip:user@example.com;tag=abc", "", "sip:user@example.com", "abc"},
        {"TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", "",
         "sip:vivekg@chair-dnrc.example.com", "1918181833n"},
        {"To: <sip:user@example.com>", "", "sip:user@example.com", ""},
        {"To: \"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:x@example.com>", nullptr, "sip:x@example.com",
         ""},
    };
    for (const Case& c : cases) {
        std::string line = c.line;
        if (!c.display) {  // RFC 4475 3.1.1.2: escaped control octets, NUL included
            using namespace std::string_literals;
            line = "To: \"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:x@example.com>"s;
            ASSERT_EQ(line.size(), 46u);
        }
        auto o = oneHeader(line);
        ASSERT_NE(o->h, nullptr) << c.line << o->msg.errorText();
        const FromToBody* b = parseFromTo(o->msg, *o->h);
        ASSERT_NE(b, nullptr) << c.line << ": " << o->msg.errorText();
        if (c.display) {
            EXPECT_EQ(b->addr.displayName, c.display) << c.line;
        }
        EXPECT_EQ(b->addr.uriText, c.uri) << c.line;
        EXPECT_EQ(b->tag, c.tag) << c.line;
    }
}

TEST(SipFromTo, OtherParamsAndUri) {
    auto o = oneHeader(
        "From: \"Alice\" <sip:alice@atlanta.example.com:5070;transport=tcp>"
        ";tag=1928;x-p=\"q;v\";flag");
    ASSERT_NE(o->h, nullptr);
    const FromToBody* cb = parseFromTo(o->msg, *o->h);
    ASSERT_NE(cb, nullptr);
    auto* b = const_cast<FromToBody*>(cb);
    EXPECT_EQ(displayNameText(b->addr), "Alice");
    EXPECT_TRUE(b->addr.angled);
    EXPECT_EQ(b->addr.params, "tag=1928;x-p=\"q;v\";flag");
    Param p;
    ASSERT_TRUE(findParam(b->addr.params, "X-P", &p));
    EXPECT_EQ(unquote(p.value), "q;v");
    ASSERT_TRUE(findParam(b->addr.params, "flag", &p));
    EXPECT_FALSE(p.hasValue);
    EXPECT_FALSE(findParam(b->addr.params, "absent"));
    EXPECT_EQ(b->addr.uriState, UriState::Unparsed) << "URIs are parsed only when asked";
    const SipUri* u = nameAddrUri(o->msg, b->addr);
    ASSERT_NE(u, nullptr) << o->msg.errorText();
    EXPECT_EQ(u->user, "alice");
    EXPECT_EQ(u->host, "atlanta.example.com");
    EXPECT_EQ(u->port, 5070);
    EXPECT_EQ(u->transport, "tcp");
    EXPECT_EQ(nameAddrUri(o->msg, b->addr), u) << "cached";
}

TEST(SipFromTo, ForeignSchemeIsKeptAsText) {
    auto o = oneHeader("From: <http://www.example.com>;tag=3234233");  // RFC 4475 3.3.4
    ASSERT_NE(o->h, nullptr);
    auto* b = const_cast<FromToBody*>(parseFromTo(o->msg, *o->h));
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(nameAddrUri(o->msg, b->addr), nullptr);
    EXPECT_EQ(b->addr.uriState, UriState::Foreign);
    EXPECT_FALSE(o->msg.error);
}

TEST(SipFromTo, Malformed) {
    struct Case {
        const char* line;
        ParseErrc code;
    } cases[] = {
        {"To: \"Mr. J. User <sip:j.user@example.com>", ParseErrc::UnterminatedQuote},  // 3.1.2.6
        {"To: \"Watson, Thomas\" < sip:t.watson@example.org >",
         ParseErrc::BadNameAddr},  // 3.1.2.14
        {"To: <sip:t.watson@example.org >", ParseErrc::BadNameAddr},
        {"From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
         ParseErrc::BadDisplayName},  // 3.1.2.15
        {"From: <sip:a@b>;tag=1, <sip:c@d>", ParseErrc::MultipleValues},
        {"From: <sip:a@b", ParseErrc::BadNameAddr},
        {"From: <>", ParseErrc::BadNameAddr},
        {"From: <nocolon>", ParseErrc::BadUri},
        {"From: \"name\" sip:a@b", ParseErrc::BadNameAddr},
        {"From: sip:a@b?x=y", ParseErrc::BadNameAddr},
        {"From: <sip:a@b>;tag", ParseErrc::BadParam},
        {"From: <sip:a@b>;;tag=1", ParseErrc::BadParam},
        {"From: <sip:a@b> junk", ParseErrc::BadValue},
        {"From:", ParseErrc::BadNameAddr},
    };
    for (const Case& c : cases) {
        auto o = oneHeader(c.line);
        ASSERT_NE(o->h, nullptr) << c.line;
        EXPECT_EQ(parseFromTo(o->msg, *o->h), nullptr) << c.line;
        EXPECT_STREQ(parseErrcName(o->msg.error.code), parseErrcName(c.code))
            << c.line << ": " << o->msg.errorText();
        EXPECT_EQ(o->h->state, BodyState::Bad);
        EXPECT_EQ(parseFromTo(o->msg, *o->h), nullptr) << "a bad header stays bad";
    }
}

TEST(SipFromTo, EveryOctetInsideAnglesIsChecked) {
    // The scan inside <> looks at 8 octets at a time: put the bad octet at every position.
    const std::string uri = "sip:abcdefghijklmnopqrstuvwxyz0123456789@example.com";
    for (char bad : {' ', '\t', '\x01', '\x7f', '<', '"'}) {
        for (size_t at = 0; at < uri.size(); ++at) {
            std::string u = uri;
            u.insert(u.begin() + static_cast<long>(at), bad);
            auto o = oneHeader("To: <" + u + ">");
            if (!o->h) continue;  // a control octet may already break the header line
            EXPECT_EQ(parseFromTo(o->msg, *o->h), nullptr) << int(bad) << " at " << at;
            EXPECT_EQ(o->msg.error.code, ParseErrc::BadNameAddr) << int(bad) << " at " << at;
            EXPECT_EQ(o->msg.error.offset, o->buf.find('<') + 1 + at) << int(bad) << " at " << at;
        }
    }
    auto ok = oneHeader("To: <" + uri + ";p=\xc3\xa9>");  // UTF-8 octets are not flagged
    ASSERT_NE(ok->h, nullptr);
    EXPECT_NE(parseFromTo(ok->msg, *ok->h), nullptr) << ok->msg.errorText();
}

TEST(SipFromTo, BadUriIsReportedWhenParsed) {
    auto o = oneHeader("To: <sip:user@exa mple.com>");
    ASSERT_NE(o->h, nullptr);
    EXPECT_EQ(parseFromTo(o->msg, *o->h), nullptr) << "whitespace inside <>";
    auto p = oneHeader("To: <sip:user@[::1>");
    ASSERT_NE(p->h, nullptr);
    auto* b = const_cast<FromToBody*>(parseFromTo(p->msg, *p->h));
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(nameAddrUri(p->msg, b->addr, p->h), nullptr);
    EXPECT_EQ(b->addr.uriState, UriState::Bad);
    EXPECT_EQ(p->msg.error.code, ParseErrc::BadUri);
    EXPECT_EQ(p->msg.error.kind, HeaderKind::To);
}

TEST(SipContact, ListWithParams) {
    auto o = oneHeader(
        "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue "
        ";\r\n"
        "  secondparam ; q = 0.33, <sip:b@h;transport=tcp>;expires=3600;q=1.000;"
        "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=2, "
        "sip:c@h;expires=0");
    ASSERT_NE(o->h, nullptr);
    const ContactBody* c = parseContact(o->msg, *o->h);
    ASSERT_NE(c, nullptr) << o->msg.errorText();
    EXPECT_FALSE(c->star);
    ASSERT_EQ(c->count, 3u);
    const ContactValue* a = c->first;
    EXPECT_EQ(a->addr.displayName, "\"Quoted string \\\"\\\"\"");
    EXPECT_TRUE(a->hasQ);
    EXPECT_EQ(a->q, 330);
    EXPECT_FALSE(a->hasExpires);
    EXPECT_TRUE(findParam(a->addr.params, "newparam"));
    const ContactValue* b = a->next;
    EXPECT_EQ(b->addr.uriText, "sip:b@h;transport=tcp");
    EXPECT_TRUE(b->hasExpires);
    EXPECT_EQ(b->expires, 3600u);
    EXPECT_EQ(b->q, 1000);
    EXPECT_EQ(unquote(b->instance), "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>");
    EXPECT_TRUE(b->hasRegId);
    EXPECT_EQ(b->regId, 2u);
    const ContactValue* d = b->next;
    EXPECT_EQ(d->addr.uriText, "sip:c@h");
    EXPECT_FALSE(d->addr.angled);
    EXPECT_EQ(d->expires, 0u);
    EXPECT_EQ(d->next, nullptr);
}

TEST(SipContact, StarAndOversizedExpires) {
    auto o = oneHeader("Contact: *");
    ASSERT_NE(o->h, nullptr);
    const ContactBody* c = parseContact(o->msg, *o->h);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->star);
    EXPECT_EQ(c->count, 0u);
    auto big = oneHeader("Contact: <sip:user@host129.example.com>\r\n  ;expires=280297596632815");
    const ContactBody* b = parseContact(big->msg, *big->h);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->first->expires, 0xffffffffu) << "saturated, RFC 4475 3.1.2.4";
}

TEST(SipContact, Malformed) {
    struct Case {
        const char* line;
        ParseErrc code;
    } cases[] = {
        {"Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E", ParseErrc::BadNameAddr},
        {"Contact: \"Joe\" <sip:joe@example.org>;;;;", ParseErrc::BadParam},
        {"Contact: <sip:a@b>;q=1.5", ParseErrc::BadParam},
        {"Contact: <sip:a@b>;q=0.1234", ParseErrc::BadParam},
        {"Contact: <sip:a@b>;expires=soon", ParseErrc::BadParam},
        {"Contact: <sip:a@b>;reg-id=x", ParseErrc::BadParam},
        {"Contact: <sip:a@b>,", ParseErrc::BadNameAddr},
        {"Contact: <sip:a@b> <sip:c@d>", ParseErrc::BadValue},
    };
    for (const Case& c : cases) {
        auto o = oneHeader(c.line);
        ASSERT_NE(o->h, nullptr) << c.line;
        EXPECT_EQ(parseContact(o->msg, *o->h), nullptr) << c.line;
        EXPECT_STREQ(parseErrcName(o->msg.error.code), parseErrcName(c.code))
            << c.line << ": " << o->msg.errorText();
    }
}

TEST(SipRoute, ListsAcrossLines) {
    std::string buf =
        "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "Route: <sip:p1.example.com;lr>,\r\n <sip:p2.example.com;lr;x=y>;rp=1\r\n"
        "Record-Route: <sip:rr.example.com;lr>\r\nRoute: <sip:p3.example.com;lr>\r\n"
        "Path: <sip:edge.example.com;lr;ob>\r\n\r\n";
    SipMsg m;
    ASSERT_TRUE(parseMsg(m, buf));
    ASSERT_TRUE(parseHeaders(m, HDR_ROUTE));
    HeaderField* h = findHeader(m, HeaderKind::Route);
    ASSERT_NE(h, nullptr);
    const RouteBody* r = static_cast<const RouteBody*>(h->body);
    ASSERT_NE(r, nullptr) << "parseHeaders parsed the first Route";
    EXPECT_EQ(r->addr.uriText, "sip:p1.example.com;lr");
    ASSERT_NE(r->next, nullptr);
    EXPECT_EQ(r->next->addr.uriText, "sip:p2.example.com;lr;x=y");
    EXPECT_EQ(r->next->addr.params, "rp=1");
    EXPECT_EQ(r->next->next, nullptr);
    auto* r0 = const_cast<RouteBody*>(r);
    const SipUri* u = nameAddrUri(m, r0->addr);
    ASSERT_NE(u, nullptr);
    EXPECT_TRUE(u->lr);
    HeaderField* h2 = nextHeader(m, *h);
    ASSERT_NE(h2, nullptr);
    EXPECT_EQ(parseRoute(m, *h2)->addr.uriText, "sip:p3.example.com;lr");
    HeaderField* rr = findHeader(m, HeaderKind::RecordRoute);
    ASSERT_NE(rr, nullptr);
    EXPECT_EQ(parseRoute(m, *rr)->addr.uriText, "sip:rr.example.com;lr");
    HeaderField* path = findHeader(m, HeaderKind::Path);
    ASSERT_NE(path, nullptr);
    EXPECT_EQ(parseRoute(m, *path)->addr.uriText, "sip:edge.example.com;lr;ob");
}

TEST(SipRoute, NeedsAngleBrackets) {
    auto o = oneHeader("Route: sip:p1.example.com;lr");
    ASSERT_NE(o->h, nullptr);
    EXPECT_EQ(parseRoute(o->msg, *o->h), nullptr);
    EXPECT_EQ(o->msg.error.code, ParseErrc::BadNameAddr);
    auto p = oneHeader("P-Asserted-Identity: \"Cullen\" <sip:fluffy@cisco.com>, tel:+14085264000");
    ASSERT_NE(p->h, nullptr);
    const RouteBody* r = parseRoute(p->msg, *p->h);
    ASSERT_NE(r, nullptr) << p->msg.errorText();
    ASSERT_NE(r->next, nullptr);
    EXPECT_EQ(r->next->addr.uriText, "tel:+14085264000");
}
