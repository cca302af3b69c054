// Via parser: sent-protocol with LWS, sent-by hosts (name, IPv4, IPv6 reference) and ports,
// well-known parameters, several values per line, and malformed values.
#include <gtest/gtest.h>

#include "core/sip/via.h"
#include "test/unit/sip_test_msg.h"

using namespace osprey::sip;
using osprey::sip::test::oneHeader;

TEST(SipVia, TypicalValue) {
    auto o = oneHeader(
        "Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1"
        ";rport=5070;maddr=224.2.0.1;ttl=16;x-custom=\"q v\"");
    ASSERT_NE(o->h, nullptr) << o->msg.errorText();
    const ViaBody* v = parseVia(o->msg, *o->h);
    ASSERT_NE(v, nullptr) << o->msg.errorText();
    EXPECT_EQ(v, o->msg.topVia);
    EXPECT_EQ(v->protocol, "SIP");
    EXPECT_EQ(v->version, "2.0");
    EXPECT_EQ(v->transport, "UDP");
    EXPECT_EQ(v->proto, ViaTransport::Udp);
    EXPECT_EQ(v->host, "pc33.atlanta.example.com");
    EXPECT_EQ(v->hostKind, HostKind::Name);
    EXPECT_TRUE(v->hasPort);
    EXPECT_EQ(v->port, 5066);
    EXPECT_EQ(v->branch, "z9hG4bK776asdhds");
    EXPECT_TRUE(viaBranchIsRfc3261(*v));
    EXPECT_EQ(v->received, "192.0.2.1");
    EXPECT_TRUE(v->hasRport);
    EXPECT_EQ(v->rport, "5070");
    EXPECT_EQ(v->maddr, "224.2.0.1");
    EXPECT_EQ(v->ttl, "16");
    EXPECT_EQ(v->params.substr(0, 7), "branch=");
    EXPECT_EQ(v->params.substr(v->params.size() - 5), "\"q v\"");
    EXPECT_EQ(v->text, o->h->value);
    EXPECT_EQ(v->next, nullptr);
}

TEST(SipVia, LwsEverywhereTheGrammarAllows) {
    // RFC 4475 3.1.1.1 (wsinv): LWS around '/', ':', ';' and '=', folded lines.
    auto o = oneHeader(
        "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n"
        " SIP  /    2.0   / UDP  192.168.255.111 :  5061 ; branch=\r\n z9hG4bK30239");
    ASSERT_NE(o->h, nullptr) << o->msg.errorText();
    const ViaBody* v = parseVia(o->msg, *o->h);
    ASSERT_NE(v, nullptr) << o->msg.errorText();
    EXPECT_EQ(v->transport, "TCP");
    EXPECT_EQ(v->host, "spindle.example.com");
    EXPECT_EQ(v->branch, "z9hG4bK9ikj8");
    ASSERT_NE(v->next, nullptr);
    const ViaBody* w = v->next;
    EXPECT_EQ(w->transport, "UDP");
    EXPECT_EQ(w->host, "192.168.255.111");
    EXPECT_EQ(w->hostKind, HostKind::Ipv4);
    EXPECT_EQ(w->port, 5061);
    EXPECT_EQ(w->branch, "z9hG4bK30239");
    EXPECT_EQ(w->next, nullptr);
}

TEST(SipVia, Ipv6AndTransports) {
    auto o = oneHeader(
        "Via: SIP/2.0/TLS [2001:db8::9:1]:5061;branch=z9hG4bKa;received=2001:db8::1, "
        "SIP/2.0/WSS [::1];rport, SIP/2.0/sctp h, SIP/2.0/ws h, SIP/2.0/UNKNOWN h");
    ASSERT_NE(o->h, nullptr);
    const ViaBody* v = parseVia(o->msg, *o->h);
    ASSERT_NE(v, nullptr) << o->msg.errorText();
    EXPECT_EQ(v->host, "[2001:db8::9:1]");
    EXPECT_EQ(v->hostKind, HostKind::Ipv6);
    EXPECT_EQ(v->port, 5061);
    EXPECT_EQ(v->proto, ViaTransport::Tls);
    EXPECT_EQ(v->received, "2001:db8::1");
    v = v->next;
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->host, "[::1]");
    EXPECT_EQ(v->proto, ViaTransport::Wss);
    EXPECT_TRUE(v->hasRport);
    EXPECT_TRUE(v->rport.empty());
    EXPECT_FALSE(v->hasPort);
    EXPECT_EQ(v->next->proto, ViaTransport::Sctp);
    EXPECT_EQ(v->next->next->proto, ViaTransport::Ws);
    EXPECT_EQ(v->next->next->next->proto, ViaTransport::Other);
    EXPECT_EQ(v->next->next->next->transport, "UNKNOWN");
}

TEST(SipVia, HostnameRules) {
    struct Case {
        const char* host;
        bool ok;
    } cases[] = {
        {"x", true},
        {"host-1.example.com", true},
        {"example.com.", true},
        {"a1.b2.c3", true},
        {"a..b", false},
        {"a-.b", false},
        {"a.-b", false},
        {"-a.b", false},
        {"a.b-", false},
        {"a.1b", false},
        {".a", false},
        {"a.b..", false},
        {"192.0.2.1", true},
        {"192.0.2.256", false},
        {"192.0.2", false},
        {"[::1]", true},
        {"[2001:db8::1:2]", true},
        {"[1:2:3:4:5:6:7:8]", true},
        {"[1:2:3:4:5:6:7]", false},
    };
    for (const Case& c : cases) {
        std::string buf = std::string("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP ") + c.host +
                          ";branch=z9hG4bK1\r\n\r\n";
        SipMsg m;
        EXPECT_EQ(parseMsg(m, buf), c.ok) << c.host << ": " << m.errorText();
        if (c.ok) {
            ASSERT_NE(m.topVia, nullptr);
            EXPECT_EQ(m.topVia->host, c.host);
        }
    }
}

TEST(SipVia, NoBranchIsAccepted) {
    auto o = oneHeader("Via: SIP/2.0/UDP iftgw.example.com");  // RFC 2543 peer, RFC 4475 3.4.1
    ASSERT_NE(o->h, nullptr);
    const ViaBody* v = parseVia(o->msg, *o->h);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->branch.empty());
    EXPECT_FALSE(viaBranchIsRfc3261(*v));
}

TEST(SipVia, MalformedValues) {
    struct Case {
        const char* value;
        ParseErrc code;
    } cases[] = {
        {"SIP/2.0/UDP 192.0.2.15;;,;,,", ParseErrc::BadParam},  // RFC 4475 3.1.2.1
        {"SIP/2.0/UDP h;branch=", ParseErrc::BadParam},
        {"SIP/2.0/UDP h;branch", ParseErrc::BadParam},
        {"SIP/2.0 h", ParseErrc::BadValue},
        {"SIP/2.0/UDP", ParseErrc::BadValue},
        {"SIP/2.0/UDPh", ParseErrc::BadValue},
        {"SIP/2.0/UDP h:0", ParseErrc::BadValue},
        {"SIP/2.0/UDP h:65536", ParseErrc::BadValue},
        {"SIP/2.0/UDP h:", ParseErrc::BadValue},
        {"SIP/2.0/UDP -bad-.example.com", ParseErrc::BadValue},
        {"SIP/2.0/UDP 1.2.3", ParseErrc::BadValue},
        {"SIP/2.0/UDP [::1", ParseErrc::BadValue},
        {"SIP/2.0/UDP [1::2::3]", ParseErrc::BadValue},
        {"SIP/2.0/UDP h;ttl=300", ParseErrc::BadParam},
        {"SIP/2.0/UDP h;rport=abc", ParseErrc::BadParam},
        {"SIP/2.0/UDP h;x=\"open", ParseErrc::UnterminatedQuote},
        {"SIP/2.0/UDP h junk", ParseErrc::BadValue},
        {"SIP/2.0/UDP h,", ParseErrc::BadValue},
        {"", ParseErrc::BadValue},
    };
    for (const Case& c : cases) {
        std::string buf = std::string("OPTIONS sip:a@b SIP/2.0\r\nVia: ") + c.value + "\r\n\r\n";
        SipMsg m;
        EXPECT_FALSE(parseMsg(m, buf)) << c.value;
        EXPECT_STREQ(parseErrcName(m.error.code), parseErrcName(c.code))
            << c.value << ": " << m.errorText();
        EXPECT_EQ(m.error.kind, HeaderKind::Via) << c.value;
        EXPECT_LE(m.error.offset, buf.size());
    }
}
