// net::SockAddr: numeric host parsing, text forms, address comparison (IPv4-mapped IPv6 equals
// its IPv4 form), and the resolver's numeric fast path.
#include <gtest/gtest.h>

#include <cstring>

#include "core/net/resolve.h"
#include "core/net/sock_addr.h"

namespace osprey::net {
namespace {

TEST(NetSockAddr, ParsesNumericHostsOnly) {
    SockAddr a;
    ASSERT_TRUE(parseIp("192.0.2.7", 5060, a));
    EXPECT_EQ(a.family(), AF_INET);
    EXPECT_EQ(a.port(), 5060);
    ASSERT_TRUE(parseIp("[2001:db8::1]", 5070, a));
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_EQ(a.port(), 5070);
    ASSERT_TRUE(parseIp("::1", 1, a));
    EXPECT_EQ(a.family(), AF_INET6);
    for (const char* bad :
         {"", "example.com", "192.0.2", "192.0.2.256", "[::1", "1:2:3:4:5:6:7:8:9", "[]",
          "0123456789012345678901234567890123456789012345678"}) {
        EXPECT_FALSE(parseIp(bad, 5060, a)) << bad;
    }
}

TEST(NetSockAddr, FormatsAddressesForSip) {
    SockAddr a;
    char buf[kIpTextMax + 2];
    ASSERT_TRUE(parseIp("2001:db8:0:0::5", 5060, a));
    ASSERT_EQ(formatIp(a, buf, sizeof buf), 11u);
    EXPECT_STREQ(buf, "2001:db8::5");
    ASSERT_EQ(formatHost(a, buf, sizeof buf), 13u);
    EXPECT_STREQ(buf, "[2001:db8::5]");
    EXPECT_EQ(toString(a), "[2001:db8::5]:5060");
    ASSERT_TRUE(parseIp("10.1.2.3", 9, a));
    EXPECT_EQ(toString(a), "10.1.2.3:9");
    EXPECT_EQ(formatHost(a, buf, 4), 0u) << "too small a buffer is refused";
    EXPECT_EQ(toString(SockAddr{}), "(no address)");
}

TEST(NetSockAddr, ComparesAddresses) {
    SockAddr v4, mapped, other, v6;
    ASSERT_TRUE(parseIp("192.0.2.7", 5060, v4));
    ASSERT_TRUE(parseIp("::ffff:192.0.2.7", 5060, mapped));
    ASSERT_TRUE(parseIp("192.0.2.8", 5060, other));
    ASSERT_TRUE(parseIp("2001:db8::7", 5060, v6));
    EXPECT_TRUE(v4.sameIp(mapped));
    EXPECT_TRUE(mapped.sameIp(v4));
    EXPECT_FALSE(v4.sameIp(other));
    EXPECT_FALSE(v4.sameIp(v6));
    EXPECT_TRUE(v4 == mapped);
    mapped.setPort(5061);
    EXPECT_FALSE(v4 == mapped);
    SockAddr any;
    ASSERT_TRUE(parseIp("0.0.0.0", 0, any));
    EXPECT_TRUE(any.isAny());
    EXPECT_FALSE(v4.isAny());
}

TEST(NetSockAddr, ResolverTakesNumericHostsWithoutLookups) {
    SockAddr a;
    ASSERT_TRUE(resolveHost("127.0.0.1", 5090, AF_UNSPEC, &a));
    EXPECT_EQ(a.port(), 5090);
    EXPECT_FALSE(resolveHost("127.0.0.1", 5090, AF_INET6, &a)) << "wrong family";
    ASSERT_TRUE(resolveHost("[::1]", 5, AF_INET6, &a));
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_FALSE(resolveHost("", 5060, AF_UNSPEC, &a));
    // localhost is in /etc/hosts everywhere; IPv4 is preferred when both exist.
    ASSERT_TRUE(resolveHost("localhost", 5060, AF_UNSPEC, &a));
    EXPECT_EQ(a.port(), 5060);
}

TEST(NetSockAddr, SixteenByteFormIsOneKeyForBothFamilies) {
    SockAddr v4, mapped, v6;
    ASSERT_TRUE(parseIp("192.0.2.7", 5060, v4));
    ASSERT_TRUE(parseIp("::ffff:192.0.2.7", 5060, mapped));
    ASSERT_TRUE(parseIp("2001:db8::7", 5060, v6));
    uint8_t a[16], b[16], c[16];
    ipBytes16(v4, a);
    ipBytes16(mapped, b);
    ipBytes16(v6, c);
    EXPECT_EQ(memcmp(a, b, 16), 0);
    EXPECT_NE(memcmp(a, c, 16), 0);
    const SockAddr back4 = fromIpBytes16(a, 5070);
    EXPECT_EQ(back4.family(), AF_INET);
    EXPECT_EQ(toString(back4), "192.0.2.7:5070");
    EXPECT_EQ(toString(fromIpBytes16(c, 1)), "[2001:db8::7]:1");
}

}  // namespace
}  // namespace osprey::net
