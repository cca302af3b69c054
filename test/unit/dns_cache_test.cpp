// The shared DNS cache without the DNS process (dns_cache.h): a miss queues one query however
// many ask, the answer serves later lookups (names compared without case), negative answers
// say why, waiters are handed to the timer wheel, a query a dead DNS process took goes back on
// the queue, and the cache stays within its size.
#include <gtest/gtest.h>

#include <string>

#include "core/dns/dns_cache.h"
#include "core/dns/dns_stats.h"
#include "core/timer/clock.h"
#include "core/timer/timer_process.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::dns {
namespace {

constexpr uint32_t kCacheSize = 64;

class DnsCacheTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(16u << 20));
        }
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
        ASSERT_TRUE(createCache(kCacheSize));
        ASSERT_TRUE(timer::startTimers());
    }
    void SetUp() override {
        PendingQuery q;
        while (takeQuery(&q)) complete(q.entry, Answer{}, 60);  // nothing left from before
    }
};

Answer oneTarget(const char* ip, uint16_t port) {
    Answer a;
    a.count = 1;
    a.targets[0] = Target{};
    net::parseIp(ip, port, a.targets[0].addr);
    return a;
}

TEST_F(DnsCacheTest, AMissQueuesOneQueryAndTheAnswerServesLaterLookups) {
    Answer out;
    const Query q{"sip.example.test", QueryKind::SrvUdp};
    EXPECT_EQ(lookup(q, &out), LookupResult::Pending);
    EXPECT_EQ(lookup(q, &out), LookupResult::Pending);
    PendingQuery pq;
    ASSERT_TRUE(takeQuery(&pq));
    EXPECT_STREQ(pq.name, "sip.example.test");
    EXPECT_EQ(pq.kind, QueryKind::SrvUdp);
    EXPECT_FALSE(takeQuery(&pq)) << "one query however many asked";

    complete(pq.entry, oneTarget("192.0.2.7", 5070), 300);
    ASSERT_EQ(lookup(q, &out), LookupResult::Hit);
    ASSERT_EQ(out.count, 1);
    EXPECT_EQ(net::toString(out.targets[0].addr), "192.0.2.7:5070");
    EXPECT_EQ(lookup(Query{"SIP.Example.TEST", QueryKind::SrvUdp}, &out), LookupResult::Hit);
    EXPECT_EQ(lookup(Query{"sip.example.test", QueryKind::Addr}, &out), LookupResult::Pending)
        << "the kind is part of the key";
}

TEST_F(DnsCacheTest, ANegativeAnswerSaysWhy) {
    Answer out;
    const Query q{"gone.example.test", QueryKind::Addr};
    ASSERT_EQ(lookup(q, &out), LookupResult::Pending);
    PendingQuery pq;
    ASSERT_TRUE(takeQuery(&pq));
    Answer timeout;
    timeout.failure = Failure::Timeout;
    complete(pq.entry, timeout, 0);
    ASSERT_EQ(lookup(q, &out), LookupResult::Failed);
    EXPECT_EQ(out.failure, Failure::Timeout);
    EXPECT_EQ(out.count, 0);
}

int g_fired = 0;
void onDone(timer::TimerNode*) {
    ++g_fired;
}

TEST_F(DnsCacheTest, WaitersAreHandedToTheTimerWheel) {
    Answer out;
    const Query q{"waited.example.test", QueryKind::Addr};
    Waiter w1, w2;
    ASSERT_EQ(lookup(q, &out, &w1, onDone), LookupResult::Pending);
    ASSERT_EQ(lookup(q, &out, &w2, onDone), LookupResult::Pending);
    PendingQuery pq;
    ASSERT_TRUE(takeQuery(&pq));
    EXPECT_FALSE(timer::sharedWheel()->isArmed(w1.node));
    complete(pq.entry, oneTarget("192.0.2.8", 0), 60);
    EXPECT_TRUE(timer::sharedWheel()->isArmed(w1.node));
    EXPECT_TRUE(timer::sharedWheel()->isArmed(w2.node));
    g_fired = 0;
    // Far enough ahead for any 0 ms timer: both handlers run (the timer process's job).
    timer::sharedWheel()->advance(timer::sharedWheel()->now() + 10);
    EXPECT_EQ(g_fired, 2);
}

TEST_F(DnsCacheTest, AQueryADeadDnsProcessTookIsQueuedAgain) {
    Answer out;
    const Query q{"orphan.example.test", QueryKind::Naptr};
    ASSERT_EQ(lookup(q, &out), LookupResult::Pending);
    PendingQuery taken;
    ASSERT_TRUE(takeQuery(&taken));  // ... and the process that took it died
    requeueOrphans();
    PendingQuery again;
    ASSERT_TRUE(takeQuery(&again));
    EXPECT_EQ(again.entry, taken.entry);
    EXPECT_FALSE(takeQuery(&again));
    complete(taken.entry, oneTarget("192.0.2.9", 5060), 60);
    EXPECT_EQ(lookup(q, &out), LookupResult::Hit);
}

TEST_F(DnsCacheTest, TheCacheStaysWithinItsSize) {
    for (unsigned i = 0; i < kCacheSize * 3; ++i) {
        Answer out;
        const std::string name = "n" + std::to_string(i) + ".bulk.test";
        ASSERT_EQ(lookup(Query{name, QueryKind::Addr}, &out), LookupResult::Pending) << name;
        PendingQuery pq;
        ASSERT_TRUE(takeQuery(&pq));
        complete(pq.entry, oneTarget("192.0.2.10", 0), 600);
    }
    EXPECT_LE(stats().entries.load(), static_cast<int64_t>(kCacheSize));
    EXPECT_GE(stats().evictions.load(), kCacheSize);
    Answer out;
    EXPECT_EQ(lookup(Query{"n191.bulk.test", QueryKind::Addr}, &out), LookupResult::Hit)
        << "the newest entry is there";
}

TEST_F(DnsCacheTest, NamesTooLongAreRefused) {
    Answer out;
    const std::string longName(kMaxName + 1, 'a');
    EXPECT_EQ(lookup(Query{longName, QueryKind::Addr}, &out), LookupResult::Unavailable);
    EXPECT_EQ(lookup(Query{"", QueryKind::Addr}, &out), LookupResult::Unavailable);
}

}  // namespace
}  // namespace osprey::dns
