// URI parser and comparison: RFC 3261 §19.1 / §25.1 grammar, §19.1.4 equality examples,
// RFC 3966 tel URIs, RFC 4475 URIs, and rejection of malformed input with the right position.
#include <gtest/gtest.h>

#include <string>

#include "core/sip/uri.h"

using namespace osprey::sip;
using std::string_view;

namespace {

SipUri parseOk(string_view text) {
    SipUri u;
    size_t where = 12345;
    UriError e = parseUri(text, u, &where);
    EXPECT_EQ(e, UriError::Ok) << text << ": " << uriErrorText(e) << " at " << where;
    return u;
}

UriError parseErr(string_view text, size_t* where = nullptr) {
    SipUri u;
    return parseUri(text, u, where);
}

bool eq(string_view a, string_view b) {
    SipUri ua, ub;
    EXPECT_EQ(parseUri(a, ua), UriError::Ok) << a;
    EXPECT_EQ(parseUri(b, ub), UriError::Ok) << b;
    bool ab = uriEquals(ua, ub);
    EXPECT_EQ(ab, uriEquals(ub, ua)) << "comparison not symmetric: " << a << " / " << b;
    return ab;
}

// Every view must point into the parsed text (zero-copy).
void expectInside(const SipUri& u, string_view field) {
    if (field.empty()) return;
    EXPECT_GE(field.data(), u.text.data());
    EXPECT_LE(field.data() + field.size(), u.text.data() + u.text.size());
}

}  // namespace

TEST(SipUri, MinimalSip) {
    SipUri u = parseOk("sip:example.com");
    EXPECT_EQ(u.scheme, UriScheme::Sip);
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.hostKind, HostKind::Name);
    EXPECT_TRUE(u.user.empty());
    EXPECT_FALSE(u.hasPassword);
    EXPECT_FALSE(u.hasPort);
    EXPECT_EQ(u.port, 0);
    EXPECT_TRUE(u.params.empty());
    EXPECT_TRUE(u.headers.empty());
    EXPECT_EQ(u.text, "sip:example.com");
}

TEST(SipUri, AllParts) {
    string_view text =
        "sips:alice:secret@Atlanta.example.com:5061;transport=tls;user=ip;method=INVITE;ttl=16;"
        "maddr=239.255.255.1;lr;foo=bar?subject=project%20x&priority=urgent";
    SipUri u = parseOk(text);
    EXPECT_EQ(u.scheme, UriScheme::Sips);
    EXPECT_EQ(u.user, "alice");
    EXPECT_TRUE(u.hasPassword);
    EXPECT_EQ(u.password, "secret");
    EXPECT_EQ(u.host, "Atlanta.example.com");
    EXPECT_EQ(u.hostKind, HostKind::Name);
    EXPECT_TRUE(u.hasPort);
    EXPECT_EQ(u.port, 5061);
    EXPECT_EQ(u.params,
              "transport=tls;user=ip;method=INVITE;ttl=16;maddr=239.255.255.1;lr;foo=bar");
    EXPECT_EQ(u.transport, "tls");
    EXPECT_EQ(u.userParam, "ip");
    EXPECT_EQ(u.method, "INVITE");
    EXPECT_EQ(u.ttl, "16");
    EXPECT_EQ(u.maddr, "239.255.255.1");
    EXPECT_TRUE(u.lr);
    EXPECT_EQ(u.headers, "subject=project%20x&priority=urgent");
    for (string_view f : {u.user, u.password, u.host, u.params, u.headers, u.transport, u.userParam,
                          u.method, u.ttl, u.maddr}) {
        expectInside(u, f);
    }
    EXPECT_EQ(uriWithoutHeaders(u),
              "sips:alice:secret@Atlanta.example.com:5061;transport=tls;user=ip;method=INVITE;"
              "ttl=16;maddr=239.255.255.1;lr;foo=bar");
}

TEST(SipUri, SchemeIsCaseInsensitive) {
    EXPECT_EQ(parseOk("SIP:ALICE@AtLanTa.CoM").scheme, UriScheme::Sip);
    EXPECT_EQ(parseOk("SiPs:bob@biloxi.com").scheme, UriScheme::Sips);
    EXPECT_EQ(parseOk("TEL:+1-201-555-0123").scheme, UriScheme::Tel);
}

TEST(SipUri, Ipv4Host) {
    SipUri u = parseOk("sip:bob@192.0.2.4:5070");
    EXPECT_EQ(u.hostKind, HostKind::Ipv4);
    EXPECT_EQ(u.host, "192.0.2.4");
    EXPECT_EQ(u.port, 5070);
    EXPECT_EQ(parseErr("sip:bob@192.0.2.256"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:bob@192.0.2"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:bob@1.2.3.4.5"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:bob@1234.2.3.4"), UriError::BadHost);
}

TEST(SipUri, Ipv6Reference) {
    SipUri u = parseOk("sip:[2001:db8::10]:5070;transport=udp");
    EXPECT_EQ(u.hostKind, HostKind::Ipv6);
    EXPECT_EQ(u.host, "[2001:db8::10]");
    EXPECT_EQ(u.port, 5070);
    EXPECT_EQ(u.transport, "udp");
    EXPECT_EQ(parseOk("sip:user@[::1]").host, "[::1]");
    EXPECT_EQ(parseOk("sip:[::]").hostKind, HostKind::Ipv6);
    EXPECT_EQ(parseOk("sip:[::ffff:192.0.2.1]").hostKind, HostKind::Ipv6);
    EXPECT_EQ(parseOk("sip:[1:2:3:4:5:6:7:8]").hostKind, HostKind::Ipv6);
    EXPECT_EQ(parseOk("sip:[1:2:3:4:5:6:192.0.2.1]").hostKind, HostKind::Ipv6);
    EXPECT_EQ(parseOk("sip:[1::]").hostKind, HostKind::Ipv6);
    // RFC 5118 §4.? style malformed references.
    EXPECT_EQ(parseErr("sip:[2001:db8::10:5070"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:2001:db8::10"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[1:2:3:4:5:6:7:8:9]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[1::2::3]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[12345::1]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[:1]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[1:]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[g::1]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[::1.2.3]"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:[1:2:3:4:5:6:7:1.2.3.4]"), UriError::BadHost);
}

TEST(SipUri, Hostnames) {
    EXPECT_EQ(parseOk("sip:a.b-c.example.com.").hostKind, HostKind::Name);
    EXPECT_EQ(parseOk("sip:x").hostKind, HostKind::Name);
    EXPECT_EQ(parseOk("sip:1host.example.com").hostKind, HostKind::Name);
    EXPECT_EQ(parseErr("sip:-a.example.com"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:a-.example.com"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:a..example.com"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:example.123"), UriError::BadHost);  // toplabel starts with a letter
    EXPECT_EQ(parseErr("sip:user@"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:"), UriError::BadHost);
    size_t where = 0;
    EXPECT_EQ(parseErr("sip:bob@exa mple.com", &where), UriError::BadHost);
    EXPECT_EQ(where, 11u);
    EXPECT_EQ(parseErr("sip:bob@example.com>", &where), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:host_name.com"), UriError::BadHost);
}

TEST(SipUri, Ports) {
    EXPECT_EQ(parseOk("sip:h:1").port, 1);
    EXPECT_EQ(parseOk("sip:h:65535").port, 65535);
    EXPECT_EQ(parseOk("sip:h:05060").port, 5060);
    size_t where = 0;
    EXPECT_EQ(parseErr("sip:h:65536", &where), UriError::BadPort);
    EXPECT_EQ(where, 6u);
    EXPECT_EQ(parseErr("sip:h:0"), UriError::BadPort);
    EXPECT_EQ(parseErr("sip:h:"), UriError::BadPort);
    EXPECT_EQ(parseErr("sip:h:5060x"), UriError::BadHost);
    EXPECT_EQ(parseErr("sip:h:99999999999999999999"), UriError::BadPort);
    EXPECT_EQ(parseErr("sip:h:5060:5061"), UriError::BadPort);
}

TEST(SipUri, UserWithEscapesAndPassword) {
    SipUri u = parseOk("sip:%61lice:p%40ss@atlanta.com");
    EXPECT_EQ(u.user, "%61lice");  // kept as received
    EXPECT_EQ(u.password, "p%40ss");
    u = parseOk("sip:alice:@atlanta.com");
    EXPECT_TRUE(u.hasPassword);
    EXPECT_TRUE(u.password.empty());
    size_t where = 0;
    EXPECT_EQ(parseErr("sip:al%4ice@atlanta.com", &where), UriError::BadUser);
    EXPECT_EQ(where, 6u);
    EXPECT_EQ(parseErr("sip:alice%4@atlanta.com"), UriError::BadUser);
    EXPECT_EQ(parseErr("sip:@atlanta.com"), UriError::BadUser);
    EXPECT_EQ(parseErr("sip::pw@atlanta.com"), UriError::BadUser);
    EXPECT_EQ(parseErr("sip:alice:p;w@atlanta.com"), UriError::BadUser);  // ';' not in password
}

TEST(SipUri, UserUnreservedCharacters) {
    // RFC 4475 §3.1.1.9 (semiuri): ';' in the user part.
    SipUri u = parseOk("sip:user;par=u%40example.net@example.com");
    EXPECT_EQ(u.user, "user;par=u%40example.net");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_TRUE(u.params.empty());
    // RFC 4475 §3.1.1.2 (intmeth): every legal odd character in user and password.
    u = parseOk(
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
        "(doesn't-it)@example.com");
    EXPECT_EQ(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    EXPECT_EQ(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    EXPECT_EQ(u.host, "example.com");
    // RFC 4475 §3.1.1.3 (esc01) and §3.1.1.4 (escnull).
    u = parseOk("sip:sips%3Auser%40example.com@example.net");
    EXPECT_EQ(u.user, "sips%3Auser%40example.com");
    EXPECT_EQ(u.host, "example.net");
    EXPECT_EQ(parseOk("sip:null-%00-null@example.com").user, "null-%00-null");
    EXPECT_EQ(parseOk("sip:%00%00@host5.example.com").user, "%00%00");
}

TEST(SipUri, EscapedParameterNames) {
    // RFC 4475 §3.1.1.3 (esc01): ";%6C%72" is the lr parameter.
    SipUri u = parseOk("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
    EXPECT_TRUE(u.lr);
    string_view v;
    EXPECT_TRUE(findUriParam(u.params, "name", &v));
    EXPECT_EQ(v, "v%61lue%25%34%31");
    EXPECT_TRUE(findUriParam(u.params, "LR", &v));
    EXPECT_TRUE(v.empty());
    EXPECT_FALSE(findUriParam(u.params, "nam", &v));
}

TEST(SipUri, Parameters) {
    SipUri u = parseOk("sip:h;Transport=TCP;LR;x-y=[a]/b:c&d+e$f;flag");
    EXPECT_EQ(u.transport, "TCP");
    EXPECT_TRUE(u.lr);
    string_view v = "unchanged";
    EXPECT_TRUE(findUriParam(u.params, "x-Y", &v));
    EXPECT_EQ(v, "[a]/b:c&d+e$f");
    EXPECT_TRUE(findUriParam(u.params, "flag", &v));
    EXPECT_TRUE(v.empty());
    EXPECT_FALSE(findUriParam(u.params, "fla", nullptr));
    EXPECT_FALSE(findUriParam("", "lr", nullptr));
    // The first occurrence of a well-known parameter counts.
    EXPECT_EQ(parseOk("sip:h;transport=udp;transport=tcp").transport, "udp");
    EXPECT_EQ(parseOk("sip:h;maddr=[::1]").maddr, "[::1]");
    EXPECT_EQ(parseOk("sip:h;ttl=0").ttl, "0");
    EXPECT_EQ(parseOk("sip:h;lr=on").lr, true);
}

TEST(SipUri, BadParameters) {
    size_t where = 0;
    EXPECT_EQ(parseErr("sip:h;", &where), UriError::BadParam);
    EXPECT_EQ(where, 6u);
    EXPECT_EQ(parseErr("sip:h;;lr"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;a="), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;=a"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;a=b c", &where), UriError::BadParam);
    EXPECT_EQ(where, 9u);
    EXPECT_EQ(parseErr("sip:h;a=%zz"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;ttl=256"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;ttl=1000"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;ttl=a"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;ttl"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;transport"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;transport=a/b"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;maddr=bad..host"), UriError::BadParam);
    EXPECT_EQ(parseErr("sip:h;method=IN(VITE"), UriError::BadParam);
    // RFC 4475 §3.1.2.8 (lwsruri): a space ends the URI in a request line.
    EXPECT_EQ(parseErr("sip:user@example.com; lr"), UriError::BadParam);
}

TEST(SipUri, Headers) {
    SipUri u = parseOk("sip:user@example.com?Route=%3Csip:example.com%3E");
    EXPECT_EQ(u.headers, "Route=%3Csip:example.com%3E");
    EXPECT_EQ(uriWithoutHeaders(u), "sip:user@example.com");
    u = parseOk("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com");
    EXPECT_EQ(u.params, "transport=tcp;method=REGISTER");
    EXPECT_EQ(u.headers, "to=sip:bob%40biloxi.com");
    EXPECT_EQ(parseOk("sip:h?a=&b=c").headers, "a=&b=c");  // hvalue may be empty
    EXPECT_EQ(parseErr("sip:h?"), UriError::BadHeaders);
    EXPECT_EQ(parseErr("sip:h?a"), UriError::BadHeaders);
    EXPECT_EQ(parseErr("sip:h?=a"), UriError::BadHeaders);
    EXPECT_EQ(parseErr("sip:h?a=b&"), UriError::BadHeaders);
    EXPECT_EQ(parseErr("sip:h?a=<b>"), UriError::BadHeaders);
    size_t where = 0;
    EXPECT_EQ(parseErr("sip:h?a=b&c=d;e", &where), UriError::BadHeaders);
    EXPECT_EQ(where, 13u);
}

TEST(SipUri, SchemesAndEmpty) {
    size_t where = 99;
    EXPECT_EQ(parseErr("", &where), UriError::Empty);
    EXPECT_EQ(where, 0u);
    EXPECT_EQ(parseErr("example.com"), UriError::BadScheme);
    EXPECT_EQ(parseErr("http://example.com"), UriError::BadScheme);
    EXPECT_EQ(parseErr("soap.beep://192.0.2.103:3002"), UriError::BadScheme);  // novelsc
    EXPECT_EQ(parseErr("<sip:user@example.com>"), UriError::BadScheme);        // ltgtruri
    EXPECT_EQ(parseErr("sipx:h"), UriError::BadScheme);
    EXPECT_NE(std::string(uriErrorText(UriError::BadPort)), uriErrorText(UriError::BadHost));
}

TEST(TelUri, GlobalAndLocal) {
    SipUri u = parseOk("tel:+1-201-555-0123;ext=1234;isub=a@b,c");
    EXPECT_EQ(u.scheme, UriScheme::Tel);
    EXPECT_EQ(u.telNumber, "+1-201-555-0123");
    EXPECT_EQ(u.params, "ext=1234;isub=a@b,c");
    EXPECT_EQ(u.hostKind, HostKind::None);
    u = parseOk("tel:7042;phone-context=example.com");
    EXPECT_EQ(u.telNumber, "7042");
    string_view ctx;
    EXPECT_TRUE(findUriParam(u.params, "phone-context", &ctx));
    EXPECT_EQ(ctx, "example.com");
    EXPECT_EQ(parseOk("tel:*69#;phone-context=+1-201").telNumber, "*69#");
    EXPECT_EQ(parseOk("tel:863-1234").telNumber, "863-1234");  // tolerated without context
}

TEST(TelUri, Malformed) {
    EXPECT_EQ(parseErr("tel:"), UriError::BadTelNumber);
    EXPECT_EQ(parseErr("tel:+"), UriError::BadTelNumber);
    EXPECT_EQ(parseErr("tel:+-.()"), UriError::BadTelNumber);
    EXPECT_EQ(parseErr("tel:+12a4"), UriError::BadTelNumber);
    size_t where = 0;
    EXPECT_EQ(parseErr("tel:12 34", &where), UriError::BadTelNumber);
    EXPECT_EQ(where, 6u);
    EXPECT_EQ(parseErr("tel:+1234;"), UriError::BadParam);
    EXPECT_EQ(parseErr("tel:+1234;a_b=c"), UriError::BadParam);
    EXPECT_EQ(parseErr("tel:+1234;a="), UriError::BadParam);
    EXPECT_EQ(parseErr("tel:+1234;a=b?c"), UriError::BadParam);
}

// RFC 3261 §19.1.4: the URIs in each pair are equivalent.
TEST(UriEquals, Rfc3261EqualExamples) {
    EXPECT_TRUE(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
    EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
    EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
    EXPECT_TRUE(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
    EXPECT_TRUE(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                   "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
    EXPECT_TRUE(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                   "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
}

// RFC 3261 §19.1.4: the URIs in each pair are not equivalent.
TEST(UriEquals, Rfc3261NotEqualExamples) {
    EXPECT_FALSE(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
    EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
    EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
    EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
    EXPECT_FALSE(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
    EXPECT_FALSE(eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
    // Not transitive: both equal sip:carol@chicago.com, but not each other.
    EXPECT_FALSE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
}

TEST(UriEquals, ComponentRules) {
    EXPECT_FALSE(eq("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
    EXPECT_FALSE(eq("sip:alice@atlanta.com", "sip:atlanta.com"));
    EXPECT_FALSE(eq("sip:alice:pw@atlanta.com", "sip:alice@atlanta.com"));
    EXPECT_FALSE(eq("sip:alice:@atlanta.com", "sip:alice@atlanta.com"));
    EXPECT_FALSE(eq("sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com"));
    EXPECT_TRUE(eq("sip:alice:p%77@atlanta.com", "sip:alice:pw@atlanta.com"));
    EXPECT_FALSE(eq("sip:bob@h:5060", "sip:bob@h:5061"));
    EXPECT_TRUE(eq("sip:bob@h:5060", "sip:bob@H:5060"));
    // An escaped reserved character is not its literal self.
    EXPECT_FALSE(eq("sip:a%3Bb@h", "sip:a;b@h"));
    EXPECT_TRUE(eq("sip:a%3Bb@h", "sip:a%3bb@h"));
    EXPECT_FALSE(eq("sip:sips%3Auser%40example.com@example.net", "sip:sips:user@example.net"));
    EXPECT_TRUE(eq("sip:null-%00-null@example.com", "sip:null-%00-null@example.com"));
    EXPECT_FALSE(eq("sip:null-%00-null@example.com", "sip:null--null@example.com"));
    // user, ttl, method and maddr present on one side only never match.
    EXPECT_FALSE(eq("sip:h;user=phone", "sip:h"));
    EXPECT_FALSE(eq("sip:h", "sip:h;ttl=1"));
    EXPECT_FALSE(eq("sip:h;method=INVITE", "sip:h"));
    EXPECT_FALSE(eq("sip:h", "sip:h;maddr=1.2.3.4"));
    EXPECT_TRUE(eq("sip:h;maddr=[::1]", "sip:h;MADDR=[0:0::1]"));
    EXPECT_FALSE(eq("sip:h;method=INVITE", "sip:h;method=BYE"));
    EXPECT_TRUE(eq("sip:h;lr", "sip:h;%6c%72"));
    EXPECT_TRUE(eq("sip:h;lr", "sip:h"));
    // Header names are case-insensitive, values exact after unescaping, sets must match.
    EXPECT_FALSE(eq("sip:h?Subject=A", "sip:h?subject=a"));
    EXPECT_TRUE(eq("sip:h?Subject=a%62", "sip:h?subject=ab"));
    EXPECT_FALSE(eq("sip:h?a=1", "sip:h?a=1&b=2"));
    EXPECT_FALSE(eq("sip:h?a=1", "sip:h?a=2"));
    // IPv6 addresses compare by value.
    EXPECT_TRUE(eq("sip:[2001:db8::10]", "sip:[2001:DB8:0:0:0:0:0:10]"));
    EXPECT_FALSE(eq("sip:[2001:db8::10]", "sip:[2001:db8::11]"));
    EXPECT_TRUE(eq("sip:[::ffff:192.0.2.1]", "sip:[::ffff:c000:201]"));
}

TEST(UriEquals, Tel) {
    EXPECT_TRUE(eq("tel:+1-201-555-0123", "tel:+1(201)5550123"));
    EXPECT_TRUE(eq("tel:+12015550123;EXT=12", "tel:+1.201.555.0123;ext=12"));
    EXPECT_FALSE(eq("tel:+12015550123", "tel:+12015550124"));
    EXPECT_FALSE(eq("tel:12015550123;phone-context=+1", "tel:+12015550123"));
    EXPECT_FALSE(eq("tel:+12015550123;ext=1", "tel:+12015550123"));
    EXPECT_TRUE(eq("tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com"));
    EXPECT_TRUE(eq("tel:7042;phone-context=+1-201", "tel:7042;phone-context=+1201"));
    EXPECT_TRUE(eq("tel:ab*#;phone-context=x", "tel:AB*#;phone-context=x"));
    EXPECT_FALSE(eq("tel:+12015550123", "sip:+12015550123@h;user=phone"));
}

TEST(UriEquals, DuplicatesKeepTheRelationReflexiveAndSymmetric) {
    // A repeated parameter counts by its first occurrence; headers compare as multisets.
    EXPECT_TRUE(eq("sip:h;transport=udp;transport=tcp", "sip:h;transport=udp;transport=tcp"));
    EXPECT_TRUE(eq("sip:h;transport=udp;transport=tcp", "sip:h;transport=udp"));
    EXPECT_FALSE(eq("sip:h;transport=tcp;transport=udp", "sip:h;transport=udp"));
    EXPECT_TRUE(eq("sip:h?a=1&a=2", "sip:h?a=2&a=1"));
    EXPECT_FALSE(eq("sip:h?a=1&a=1", "sip:h?a=1&a=2"));
    EXPECT_TRUE(eq("tel:+1;x=1;x=2", "tel:+1;x=2;x=1"));
    EXPECT_FALSE(eq("tel:+1;x=1;x=1", "tel:+1;x=1;x=2"));
    EXPECT_FALSE(eq("tel:1;phone-context=(+1)", "tel:1;phone-context=+(1)"));
}

TEST(UriEquals, HostHelper) {
    EXPECT_TRUE(uriHostEquals("Example.COM", "example.com"));
    EXPECT_FALSE(uriHostEquals("example.com", "example.com."));
    EXPECT_TRUE(uriHostEquals("[::1]", "[0::1]"));
    EXPECT_FALSE(uriHostEquals("[::1]", "[::2]"));
    EXPECT_FALSE(uriHostEquals("[::1]", "127.0.0.1"));
}

// Every prefix of valid URIs parses or fails cleanly, and never reads past its end (ASan).
TEST(SipUri, PrefixesNeverCrash) {
    const char* samples[] = {
        "sips:alice:secret@[2001:db8::1]:5061;transport=tls;maddr=[::1];ttl=5?a=b&c=%20",
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1@example.com",
        "tel:+1-201-555-0123;ext=1234;phone-context=+1",
    };
    int oks = 0;
    for (const char* s : samples) {
        string_view full(s);
        for (size_t n = 0; n <= full.size(); ++n) {
            std::string copy(full.substr(0, n));  // exact-size heap copy so ASan sees overreads
            SipUri u;
            size_t where = 0;
            UriError e = parseUri(copy, u, &where);
            if (e == UriError::Ok) {
                ++oks;
                EXPECT_TRUE(uriEquals(u, u)) << copy;
            } else {
                EXPECT_LE(where, copy.size()) << copy;
            }
        }
    }
    EXPECT_GT(oks, 10);
}
