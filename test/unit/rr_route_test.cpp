// rr module internals against the real parser and builder: the Record-Route text (lr forms,
// r2, transport, port 5060 left out, ftag, params), when two entries are wanted, parameter
// validation, loose_route's decisions on Route sets (our entries found with route::isMyself,
// double RR pairs, entries removed from multi-value lines without touching the others, strict
// routers both ways, bad Route values), and the per-copy lines of several hooks joined.
// The module's objects (all but rr.cpp) are linked in by the Makefile's module unit test rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/net/listen_socket.h"
#include "core/route/copy_hooks.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "mem/pkg.h"
#include "modules/rr/loose_route.h"
#include "modules/rr/record_route.h"

namespace osprey::rr {
namespace {

const bool kPkg = mem::pkgReady() || mem::pkgInit(8u << 20);

std::string format(const RrSide& s, bool r2, const RrOptions& o, std::string_view ftag = {},
                   std::string_view params = {}) {
    char buf[256];
    return std::string(buf, formatRecordRoute(s, r2, o, ftag, params, buf, sizeof buf));
}

TEST(RrText, KamailioShapes) {
    ASSERT_TRUE(kPkg);
    RrOptions o;
    EXPECT_EQ(format({"192.0.2.1", 5060, net::Proto::Udp}, false, o),
              "Record-Route: <sip:192.0.2.1;lr>\r\n");
    EXPECT_EQ(format({"192.0.2.1", 5070, net::Proto::Tcp}, true, o, "abc", ";nat=yes"),
              "Record-Route: <sip:192.0.2.1:5070;transport=tcp;r2=on;lr;ftag=abc;nat=yes>\r\n");
    o.fullLr = true;
    EXPECT_EQ(format({"[::1]", 5061, net::Proto::Tls}, false, o),
              "Record-Route: <sip:[::1]:5061;transport=tls;lr=on>\r\n");
    char small[10];
    EXPECT_EQ(formatRecordRoute({"192.0.2.1", 5060, net::Proto::Udp}, false, o, {}, {}, small,
                                sizeof small),
              0u);
}

TEST(RrText, DoubleRrWhenTransportAddressOrPortDiffer) {
    net::ListenSocket a, b;
    a.host = b.host = "127.0.0.1";
    a.port = b.port = 5060;
    EXPECT_FALSE(wantDoubleRr(&a, &b, 1));
    EXPECT_TRUE(wantDoubleRr(&a, &b, 2));
    b.proto = net::Proto::Tcp;
    EXPECT_TRUE(wantDoubleRr(&a, &b, 1));
    EXPECT_FALSE(wantDoubleRr(&a, &b, 0));
    b = a;
    b.port = 5062;
    EXPECT_TRUE(wantDoubleRr(&a, &b, 1));
    b = a;
    b.host = "[::1]";
    EXPECT_TRUE(wantDoubleRr(&a, &b, 1));
    EXPECT_FALSE(wantDoubleRr(nullptr, &b, 1));
}

TEST(RrText, ParameterValidation) {
    EXPECT_TRUE(validRrParams(";nat=yes"));
    EXPECT_TRUE(validRrParams("nat=yes;x"));
    EXPECT_FALSE(validRrParams(""));
    EXPECT_FALSE(validRrParams(";"));
    EXPECT_FALSE(validRrParams(";a=b>"));
    EXPECT_FALSE(validRrParams(";a=b, <sip:x>"));
    EXPECT_FALSE(validRrParams(";a\r\nX: y"));
    EXPECT_FALSE(validRrParams(";a b"));
    EXPECT_FALSE(validRrParams(std::string(600, 'a')));
}

// A request in a MsgContext, routed by loose_route; the forwarded copy is built to check
// what is left of the Route set.
class LooseRouteTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        config::Config cfg;
        config::ConfigError err;
        const char* text =
            "listen = ( \"udp:127.0.0.1:5070\", \"udp:[::1]:5080\" );\n"
            "alias = ( \"proxy.example.com\" );\n";
        ASSERT_TRUE(config::loadConfigString(text, "test.cfg", "/tmp", cfg, err)) << err.text();
        route::buildMyself(cfg);
    }

    int route(const std::string& ruri, const std::string& routes, bool inDialog = true) {
        text_ = "BYE " + ruri +
                " SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKx\r\n"
                "From: <sip:a@example.com>;tag=ft\r\n"
                "To: <sip:b@example.com>" +
                std::string(inDialog ? ";tag=tt" : "") +
                "\r\n"
                "Call-ID: c1\r\nCSeq: 2 BYE\r\n" +
                routes + "Content-Length: 0\r\n\r\n";
        mc_.reset();
        mc_.start(net::RecvInfo{});
        if (!sip::parseMsg(mc_.msg, text_)) return -100;
        result_ = looseRoute(mc_, true);
        return result_.code;
    }

    // The Route header values of the forwarded copy, in order.
    std::vector<std::string> routesOut() {
        sip::OutSpans out;
        EXPECT_EQ(mc_.builder().build(out), sip::BuildError::Ok);
        std::string s(sip::flattenSpans(out, mc_.msg.arena));
        std::vector<std::string> v;
        for (size_t p = s.find("\r\nRoute: "); p != std::string::npos;
             p = s.find("\r\nRoute: ", p + 2)) {
            size_t start = p + 9;
            v.push_back(s.substr(start, s.find("\r\n", start) - start));
        }
        return v;
    }

    std::string text_;
    route::MsgContext mc_;
    LooseRouteResult result_;
};

TEST_F(LooseRouteTest, DoubleRrPairIsRemovedAndTheNextBecomesDstUri) {
    EXPECT_EQ(route("sip:b@192.0.2.20",
                    "Route: <sip:127.0.0.1:5070;r2=on;lr;ftag=ft>, <sip:[::1]:5080;r2=on;lr>, "
                    "<sip:next.example.net;lr>\r\n"),
              1);
    EXPECT_TRUE(result_.ours);
    EXPECT_EQ(result_.ownParams, ";r2=on;lr;ftag=ft");
    EXPECT_EQ(mc_.dstUri, "sip:next.example.net;lr");
    EXPECT_EQ(mc_.requestUri(), "sip:b@192.0.2.20");
    EXPECT_EQ(routesOut(), std::vector<std::string>{"<sip:next.example.net;lr>"});
}

TEST_F(LooseRouteTest, R2WithAForeignSecondEntryRemovesOnlyOurs) {
    EXPECT_EQ(route("sip:b@192.0.2.20",
                    "Route: <sip:proxy.example.com;r2=on;lr>\r\n"
                    "Route: <sip:192.0.2.30;r2=on;lr>\r\n"),
              1);
    EXPECT_EQ(mc_.dstUri, "sip:192.0.2.30;r2=on;lr");
    EXPECT_EQ(routesOut(), std::vector<std::string>{"<sip:192.0.2.30;r2=on;lr>"});
}

TEST_F(LooseRouteTest, OnlyOurRoutesLeaveTheRequestUriAsNextHop) {
    EXPECT_EQ(route("sip:b@192.0.2.20",
                    "Route: <sip:127.0.0.1:5070;r2=on;lr>\r\nRoute: <sip:[::1]:5080;r2=on;lr>\r\n"),
              1);
    EXPECT_TRUE(mc_.dstUri.empty());
    EXPECT_TRUE(routesOut().empty());
    EXPECT_EQ(route("sip:b@192.0.2.20", "Route: <sip:127.0.0.1:5070;lr>\r\n", false), -3)
        << "an initial request whose preloaded route only named us";
}

TEST_F(LooseRouteTest, ForeignTopRouteIsTheDestinationAndStays) {
    EXPECT_EQ(route("sip:b@192.0.2.20", "Route: <sip:127.0.0.1:5999;lr>\r\n"), 1)
        << "another port on our address is not us";
    EXPECT_FALSE(result_.ours);
    EXPECT_EQ(mc_.dstUri, "sip:127.0.0.1:5999;lr");
    EXPECT_EQ(routesOut(), std::vector<std::string>{"<sip:127.0.0.1:5999;lr>"});
}

TEST_F(LooseRouteTest, NoRouteOrBadRouteIsMinusOne) {
    EXPECT_EQ(route("sip:b@192.0.2.20", ""), -1);
    EXPECT_EQ(route("sip:b@192.0.2.20", "Route: sip:127.0.0.1:5070;lr\r\n"), -1)
        << "Route takes name-addr only";
    EXPECT_EQ(route("sip:b@192.0.2.20", "Route: <sip:127.0.0.1:5070;lr>, <mailto:x@y>\r\n"), -1);
}

TEST_F(LooseRouteTest, StrictNextHopTakesTheRequestUri) {
    EXPECT_EQ(
        route("sip:b@192.0.2.20",
              "Route: <sip:127.0.0.1:5070;lr>, <sip:192.0.2.40:5090>, <sip:x.example;lr>\r\n"),
        1);
    EXPECT_EQ(mc_.requestUri(), "sip:192.0.2.40:5090");
    EXPECT_TRUE(mc_.dstUri.empty());
    EXPECT_EQ(routesOut(), (std::vector<std::string>{"<sip:x.example;lr>", "<sip:b@192.0.2.20>"}));
}

TEST_F(LooseRouteTest, AfterAStrictRouterTheLastRouteIsTheRemoteTarget) {
    EXPECT_EQ(route("sip:127.0.0.1:5070;lr",
                    "Route: <sip:192.0.2.50;lr>, <sip:192.0.2.51;lr>, <sip:b@192.0.2.20>\r\n"),
              1);
    EXPECT_EQ(mc_.dstUri, "sip:192.0.2.50;lr");
    EXPECT_EQ(mc_.requestUri(), "sip:b@192.0.2.20");
    EXPECT_EQ(routesOut(), (std::vector<std::string>{"<sip:192.0.2.50;lr>, <sip:192.0.2.51;lr>"}));
    // Our double-RR partner on top goes first; then a strict next hop is the R-URI.
    EXPECT_EQ(route("sip:127.0.0.1:5070;r2=on;lr",
                    "Route: <sip:[::1]:5080;r2=on;lr>, <sip:192.0.2.60>\r\n"
                    "Route: <sip:b@192.0.2.20>\r\n"),
              1);
    EXPECT_EQ(mc_.requestUri(), "sip:192.0.2.60");
    EXPECT_EQ(routesOut(), std::vector<std::string>{"<sip:b@192.0.2.20>"});
}

TEST_F(LooseRouteTest, TransportParameterNeedsSuchAListener) {
    sip::SipUri u;
    ASSERT_EQ(sip::parseUri("sip:127.0.0.1:5070;transport=sctp;lr", u), sip::UriError::Ok);
    EXPECT_FALSE(isMyRouteUri(u));
    ASSERT_EQ(sip::parseUri("sip:127.0.0.1:5070;transport=udp;lr", u), sip::UriError::Ok);
    EXPECT_TRUE(isMyRouteUri(u));
    ASSERT_EQ(sip::parseUri("tel:+123", u), sip::UriError::Ok);
    EXPECT_FALSE(isMyRouteUri(u));
}

TEST(CopyHooks, LinesAreAskedForEachCopy) {
    ASSERT_TRUE(kPkg);
    const std::string text =
        "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    route::MsgContext mc;
    mc.start(net::RecvInfo{});
    ASSERT_TRUE(sip::parseMsg(mc.msg, text));

    int calls = 0;
    auto hook = [](route::MsgContext& m, const route::CopyTarget&, void* arg,
                   std::string_view* lines) {
        ++*static_cast<int*>(arg);
        *lines = m.keep("X-Copy: 1\r\n");
        return true;
    };
    auto other = [](route::MsgContext& m, const route::CopyTarget&, void*,
                    std::string_view* lines) {
        *lines = m.keep("X-Other: 2\r\n");
        return true;
    };
    ASSERT_TRUE(route::addCopyHook(mc, hook, &calls));
    ASSERT_TRUE(route::addCopyHook(mc, other, nullptr));
    EXPECT_EQ(route::findCopyHook(mc, hook), &calls);
    std::string_view lines;
    ASSERT_TRUE(route::copyLines(mc, route::CopyTarget{}, &lines));
    EXPECT_EQ(lines, "X-Copy: 1\r\nX-Other: 2\r\n");
    ASSERT_TRUE(route::copyLines(mc, route::CopyTarget{}, &lines));
    EXPECT_EQ(calls, 2);
    mc.reset();
    EXPECT_EQ(route::findCopyHook(mc, hook), nullptr) << "hooks are per message";
}

}  // namespace
}  // namespace osprey::rr
