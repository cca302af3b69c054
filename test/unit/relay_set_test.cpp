// Media relay instance sets (core/relay/relay_set.h): Kamailio's rtpengine_sock forms, weights,
// the same choice for every request of a call, and instances left out while down.
#include "core/relay/relay_set.h"

#include <gtest/gtest.h>

#include <string>

#include "mem/shm.h"

namespace osprey::relay {
namespace {

[[maybe_unused]] const bool kShm = mem::shmInit(4u << 20);

TEST(RelaySet, ParsesKamailioSocketForms) {
    RelaySets s;
    std::string err;
    ASSERT_TRUE(s.parse("udp:127.0.0.1:2223=2 udp6:[::1]:2224 ; 3 == 127.0.0.2:2225", err)) << err;
    ASSERT_EQ(s.sets().size(), 2u);
    const Set* def = s.defaultSet();
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->id, 0u);
    ASSERT_EQ(def->nodes.size(), 2u);
    EXPECT_EQ(def->nodes[0].weight, 2u);
    EXPECT_EQ(def->nodes[0].addr.port(), 2223);
    EXPECT_EQ(def->nodes[1].addr.family(), AF_INET6);
    const Set* three = s.find(3);
    ASSERT_NE(three, nullptr);
    EXPECT_EQ(three->nodes[0].addr.port(), 2225);
    EXPECT_EQ(s.find(7), nullptr);
}

TEST(RelaySet, RejectsBadSocketsWithTheReason) {
    std::string err;
    RelaySets a;
    EXPECT_FALSE(a.parse("udp:127.0.0.1", err));
    EXPECT_NE(err.find("host:port"), std::string::npos) << err;
    RelaySets b;
    EXPECT_FALSE(b.parse("udp:127.0.0.1:2222=0", err));
    EXPECT_NE(err.find("weight"), std::string::npos) << err;
    RelaySets c;
    EXPECT_FALSE(c.parse("unix:/run/rtpengine.sock", err));
    RelaySets d;
    EXPECT_FALSE(d.parse("x == udp:127.0.0.1:1", err));
}

TEST(RelaySet, WeightsShareCallsAndACallAlwaysPicksAlike) {
    RelaySets s;
    std::string err;
    ASSERT_TRUE(s.parse("udp:127.0.0.1:1=3 udp:127.0.0.1:2=1", err));
    ASSERT_TRUE(s.placeHealth());
    const Set& set = *s.defaultSet();
    int first = 0;
    for (int i = 0; i < 4000; ++i) {
        const uint64_t h = callHash("call-" + std::to_string(i));
        const Node* n = s.pick(set, h, 0, 0);
        ASSERT_NE(n, nullptr);
        EXPECT_EQ(n, s.pick(set, h, 0, 0));
        if (n == &set.nodes[0]) ++first;
    }
    EXPECT_GT(first, 2700);  // 3 of 4 expected: 3000
    EXPECT_LT(first, 3300);
    s.release();
}

TEST(RelaySet, DownInstancesAreSkippedUntilTheirTimeIsUp) {
    RelaySets s;
    std::string err;
    ASSERT_TRUE(s.parse("udp:127.0.0.1:1 udp:127.0.0.1:2", err));
    ASSERT_TRUE(s.placeHealth());
    const Set& set = *s.defaultSet();
    s.markDown(set.nodes[0], 1000);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(s.pick(set, callHash(std::to_string(i)), 0, 999), &set.nodes[1]);
    }
    // Tried already, or down: nothing left.
    EXPECT_EQ(s.pick(set, 1, uint64_t{1} << 1, 999), nullptr);
    // Its time is up: it is chosen again, and up once it answers.
    EXPECT_TRUE(s.up(set.nodes[0], 1000));
    s.markUp(set.nodes[0]);
    EXPECT_EQ(s.downUntil(set.nodes[0]), 0);
    s.release();
}

}  // namespace
}  // namespace osprey::relay
