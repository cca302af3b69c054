// pike's counters on a real shm segment, with the clock driven by the test: Kamailio's return
// values (1, -2 once, then -1), the window of two units, unblocking, forgetting after
// remove_latency, IPv4/IPv6 keys, and bounded memory under a million distinct addresses.
#include <gtest/gtest.h>

#include <string>

#include "core/net/sock_addr.h"
#include "mem/shm.h"
#include "modules/pike/rate_table.h"

namespace osprey::pike {
namespace {

SourceKey key(const char* ip) {
    net::SockAddr a;
    EXPECT_TRUE(net::parseIp(ip, 5060, a)) << ip;
    return keyOf(a);
}

class RateTableTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(64u << 20));
        }
    }
    void SetUp() override {
        RateLimits l;
        l.unitSeconds = 2;
        l.maxHits = 10;
        l.removeLatency = 6;
        t = RateTable::create(16, l);
        ASSERT_NE(t, nullptr);
    }
    void TearDown() override { RateTable::destroy(t); }

    RateTable* t = nullptr;
    static constexpr uint32_t kT0 = 1000;  // an even second: a unit starts here
};

TEST_F(RateTableTest, BlocksAtTheLimitOnceThenReportsStillBlocked) {
    const SourceKey k = key("192.0.2.7");
    for (int i = 1; i < 10; ++i) EXPECT_EQ(t->hit(k, kT0), Verdict::Ok) << i;
    EXPECT_EQ(t->hit(k, kT0), Verdict::NewlyBlocked);
    EXPECT_EQ(t->hit(k, kT0 + 1), Verdict::Blocked);
    EXPECT_TRUE(t->hitIfBlocked(k, kT0 + 1));
    // Another address is not affected.
    EXPECT_EQ(t->hit(key("192.0.2.8"), kT0), Verdict::Ok);
    EXPECT_FALSE(t->hitIfBlocked(key("192.0.2.8"), kT0));
}

TEST_F(RateTableTest, StaysBlockedWhileTheUnitJustEndedWasHotThenUnblocks) {
    const SourceKey k = key("192.0.2.7");
    for (int i = 0; i < 12; ++i) (void)t->hit(k, kT0);
    // Next unit: the previous one had 12 >= 10, still blocked.
    EXPECT_TRUE(t->hitIfBlocked(k, kT0 + 2));
    // The unit after: the one just ended had 1 hit, so the address is free again.
    EXPECT_FALSE(t->hitIfBlocked(k, kT0 + 4));
    EXPECT_EQ(t->hit(k, kT0 + 4), Verdict::Ok);
}

TEST_F(RateTableTest, EachUnitCountsAfresh) {
    // 9 in one unit and 9 in the next stay below a limit of 10 (neither unit, nor their
    // average, reaches it); the 10th of the second unit does.
    const SourceKey k = key("2001:db8::1");
    for (int i = 0; i < 9; ++i) EXPECT_EQ(t->hit(k, kT0), Verdict::Ok);
    for (int i = 0; i < 9; ++i) EXPECT_EQ(t->hit(k, kT0 + 2), Verdict::Ok);
    EXPECT_EQ(t->hit(k, kT0 + 2), Verdict::NewlyBlocked);
}

TEST_F(RateTableTest, ForgottenAfterRemoveLatency) {
    const SourceKey k = key("192.0.2.9");
    (void)t->hit(k, kT0);
    int seen = 0;
    t->visit(kT0 + 6, [&](const SourceView& v) {
        EXPECT_EQ(v.key, k);
        EXPECT_EQ(v.expiresIn, 0u);
        ++seen;
    });
    EXPECT_EQ(seen, 1);
    seen = 0;
    t->visit(kT0 + 7, [&](const SourceView&) { ++seen; });
    EXPECT_EQ(seen, 0);
}

TEST_F(RateTableTest, Ipv4AndItsMappedFormAreOneAddressAndIpv6IsAnother) {
    EXPECT_EQ(key("127.0.0.1"), key("::ffff:127.0.0.1"));
    EXPECT_NE(key("127.0.0.1"), key("::1"));
    for (int i = 0; i < 9; ++i) (void)t->hit(key("127.0.0.1"), kT0);
    EXPECT_EQ(t->hit(key("::ffff:127.0.0.1"), kT0), Verdict::NewlyBlocked);
    EXPECT_EQ(t->hit(key("::1"), kT0), Verdict::Ok);
}

TEST_F(RateTableTest, NeighbouringAddressesSpreadOverTheBuckets) {
    // 16 buckets of 7: 100 addresses of one /24 (they differ only in the last octet) fit
    // without pushing each other out, which they would if the last octet missed the index.
    for (int i = 1; i <= 100; ++i) {
        const std::string ip = "10.1.2." + std::to_string(i);
        (void)t->hit(key(ip.c_str()), kT0);
    }
    EXPECT_LE(t->evicted(), 10u);
}

TEST_F(RateTableTest, AMillionAddressesStayInTheFixedTableAndKeepAFlooderBlocked) {
    const SourceKey flooder = key("198.51.100.1");
    for (int i = 0; i < 10; ++i) (void)t->hit(flooder, kT0);
    ASSERT_TRUE(t->hitIfBlocked(flooder, kT0));
    const size_t before = mem::shmStats().used;
    for (uint32_t i = 0; i < 1000000; ++i) {
        SourceKey k;
        k.hi = 0x20010db800000000ull;
        k.lo = i;
        (void)t->hit(k, kT0 + 1);
    }
    EXPECT_EQ(mem::shmStats().used, before);  // nothing allocated per address
    EXPECT_GE(t->evicted(), 1000000u - t->capacity());
    // Blocked addresses are the last a full bucket gives away.
    EXPECT_TRUE(t->hitIfBlocked(flooder, kT0 + 1));
    size_t live = 0;
    t->visit(kT0 + 1, [&](const SourceView&) { ++live; });
    EXPECT_EQ(live, t->capacity());
}

}  // namespace
}  // namespace osprey::pike
