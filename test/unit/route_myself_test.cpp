// route::isMyself: listen addresses compared as addresses, aliases and listen names as text,
// port rules (an absent port matches any listening port; an alias without a port matches any
// port), IPv6 forms.
#include <gtest/gtest.h>

#include "core/config/config.h"
#include "core/route/myself.h"
#include "core/sip/uri.h"

namespace osprey::route {
namespace {

config::Config makeConfig() {
    config::Config cfg;
    config::ConfigError err;
    const char* text =
        "listen = ( \"udp:127.0.0.1:5070\", \"tcp:127.0.0.1:5071\", \"udp:[::1]:5080\","
        " \"tls:sip.example.com:5061\" );\n"
        "alias = ( \"example.com\", \"Proxy.Example.NET:5090\", \"192.0.2.50\" );\n";
    EXPECT_TRUE(config::loadConfigString(text, "test.cfg", "/tmp", cfg, err)) << err.text();
    return cfg;
}

TEST(RouteMyself, ListenAddressesMatchByAddressAndPort) {
    buildMyself(makeConfig());
    EXPECT_TRUE(isMyself("127.0.0.1", 5070));
    EXPECT_TRUE(isMyself("127.0.0.1", 5071)) << "TCP listeners count too";
    EXPECT_TRUE(isMyself("127.0.0.1", 0)) << "no port: any listening port";
    EXPECT_FALSE(isMyself("127.0.0.1", 5060));
    EXPECT_FALSE(isMyself("127.0.0.2", 5070));
    EXPECT_TRUE(isMyself("[::1]", 5080));
    EXPECT_TRUE(isMyself("[0:0:0:0:0:0:0:1]", 5080)) << "IPv6 compared as an address";
    EXPECT_TRUE(isMyself("::1", 0));
    EXPECT_FALSE(isMyself("[::1]", 5070));
    EXPECT_TRUE(isMyself("sip.example.com", 5061));
    EXPECT_FALSE(isMyself("sip.example.com", 5062));
}

TEST(RouteMyself, AliasesFollowTheirPortRule) {
    buildMyself(makeConfig());
    EXPECT_TRUE(isMyself("example.com", 0));
    EXPECT_TRUE(isMyself("EXAMPLE.com", 1234)) << "no port in the alias: any port";
    EXPECT_TRUE(isMyself("proxy.example.net", 5090));
    EXPECT_TRUE(isMyself("proxy.example.net", 0));
    EXPECT_FALSE(isMyself("proxy.example.net", 5091));
    EXPECT_TRUE(isMyself("192.0.2.50", 7)) << "address alias without a port";
    EXPECT_FALSE(isMyself("www.example.com", 0));
    EXPECT_FALSE(isMyself("", 0));
}

TEST(RouteMyself, UrisUseHostAndPort) {
    buildMyself(makeConfig());
    sip::SipUri u;
    ASSERT_EQ(sip::parseUri("sip:bob@127.0.0.1:5070;transport=udp", u), sip::UriError::Ok);
    EXPECT_TRUE(isMyselfUri(u));
    ASSERT_EQ(sip::parseUri("sip:bob@example.com", u), sip::UriError::Ok);
    EXPECT_TRUE(isMyselfUri(u));
    ASSERT_EQ(sip::parseUri("sips:[::1]:5080", u), sip::UriError::Ok);
    EXPECT_TRUE(isMyselfUri(u));
    ASSERT_EQ(sip::parseUri("sip:bob@example.org", u), sip::UriError::Ok);
    EXPECT_FALSE(isMyselfUri(u));
    ASSERT_EQ(sip::parseUri("tel:+1-201-555-0123", u), sip::UriError::Ok);
    EXPECT_FALSE(isMyselfUri(u));
}

TEST(RouteMyself, WildcardListenersStandForTheLocalAddresses) {
    config::Config cfg;
    config::ConfigError err;
    ASSERT_TRUE(config::loadConfigString("listen = ( \"udp:0.0.0.0:5075\" );\n", "w.cfg", "/tmp",
                                         cfg, err))
        << err.text();
    buildMyself(cfg);
    EXPECT_TRUE(isMyself("127.0.0.1", 5075)) << "loopback is a local interface address";
    EXPECT_FALSE(isMyself("127.0.0.1", 5076));
    EXPECT_FALSE(isMyself("192.0.2.99", 5075));
}

}  // namespace
}  // namespace osprey::route
