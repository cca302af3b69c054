// dns::orderTargets (RFC 2782 usage rules, RFC 3263 §4.4): priority first, weight within a
// priority (deterministic without load balancing, a weighted draw with it), SRV groups and
// NAPTR sets kept together.
#include <gtest/gtest.h>

#include <vector>

#include "core/dns/srv_order.h"

namespace osprey::dns {
namespace {

Target target(uint8_t group, uint16_t priority, uint16_t weight, uint16_t port, uint8_t set = 0) {
    Target t;
    net::parseIp("127.0.0.1", port, t.addr);
    t.group = group;
    t.priority = priority;
    t.weight = weight;
    t.set = set;
    return t;
}

std::vector<uint16_t> ports(const Target* t, unsigned n) {
    std::vector<uint16_t> p;
    for (unsigned i = 0; i < n; ++i) p.push_back(t[i].addr.port());
    return p;
}

uint32_t g_draw = 0;
uint32_t fixedDraw(uint32_t bound) {
    return g_draw % bound;
}

TEST(DnsSrvOrder, LowestPriorityFirstThenHigherWeight) {
    Target t[] = {target(0, 20, 5, 1), target(1, 10, 1, 2), target(2, 10, 9, 3),
                  target(3, 30, 0, 4)};
    orderTargets(t, 4, false, nullptr);
    EXPECT_EQ(ports(t, 4), (std::vector<uint16_t>{3, 2, 1, 4}));
}

TEST(DnsSrvOrder, AnSrvRecordsAddressesStayTogether) {
    Target t[] = {target(0, 20, 0, 1), target(0, 20, 0, 2), target(1, 10, 0, 3)};
    orderTargets(t, 3, false, nullptr);
    EXPECT_EQ(ports(t, 3), (std::vector<uint16_t>{3, 1, 2}));
}

TEST(DnsSrvOrder, NaptrSetsKeepTheirOrderBeforeSrvPriority) {
    Target t[] = {target(0, 1, 0, 1, 1), target(1, 50, 0, 2, 0)};
    orderTargets(t, 2, true, fixedDraw);
    EXPECT_EQ(ports(t, 2), (std::vector<uint16_t>{2, 1}));
}

TEST(DnsSrvOrder, WeightZeroNeverWinsTheDrawAgainstAPositiveWeight) {
    for (uint32_t draw = 0; draw < 64; ++draw) {
        g_draw = draw;
        Target t[] = {target(0, 10, 0, 1), target(1, 10, 50, 2), target(2, 10, 0, 3)};
        orderTargets(t, 3, true, fixedDraw);
        EXPECT_EQ(t[0].addr.port(), 2) << "draw " << draw;
    }
}

TEST(DnsSrvOrder, TheDrawFollowsTheRunningSumOfWeights) {
    // Weights 10 and 20: a draw of 1..10 picks the first, 11..30 the second (RFC 2782).
    g_draw = 9;  // -> 10
    Target a[] = {target(0, 10, 10, 1), target(1, 10, 20, 2)};
    orderTargets(a, 2, true, fixedDraw);
    EXPECT_EQ(ports(a, 2), (std::vector<uint16_t>{1, 2}));
    g_draw = 10;  // -> 11
    Target b[] = {target(0, 10, 10, 1), target(1, 10, 20, 2)};
    orderTargets(b, 2, true, fixedDraw);
    EXPECT_EQ(ports(b, 2), (std::vector<uint16_t>{2, 1}));
}

TEST(DnsSrvOrder, TheDrawStaysWithinOnePriority) {
    g_draw = 0;
    Target t[] = {target(0, 20, 100, 1), target(1, 10, 1, 2), target(2, 10, 1, 3)};
    orderTargets(t, 3, true, fixedDraw);
    EXPECT_EQ(t[2].addr.port(), 1) << "priority 20 comes last whatever its weight";
}

TEST(DnsSrvOrder, OnlyTheWeightedOnesAreShuffled) {
    // Every draw orders all of them, exactly once each.
    for (uint32_t draw = 0; draw < 40; ++draw) {
        g_draw = draw;
        Target t[] = {target(0, 10, 3, 1), target(1, 10, 7, 2), target(2, 10, 0, 3),
                      target(3, 10, 5, 4)};
        orderTargets(t, 4, true, fixedDraw);
        std::vector<uint16_t> p = ports(t, 4);
        std::sort(p.begin(), p.end());
        EXPECT_EQ(p, (std::vector<uint16_t>{1, 2, 3, 4}));
        EXPECT_EQ(t[3].addr.port(), 3) << "weight 0 last while weighted ones remain";
    }
}

}  // namespace
}  // namespace osprey::dns
