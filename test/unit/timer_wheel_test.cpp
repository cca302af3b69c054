// The shm timer wheel with a fake clock: timers fire at their tick (every level, across
// cascades), disarm and re-arm work from handlers, a disarm after expiry reports "already
// fired", and many timers in one tick are all fired.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/timer/timer_wheel.h"

namespace osprey::timer {
namespace {

struct Probe {
    TimerNode node;  // first, so the handler can cast back
    uint64_t firedAt = 0;
    int fires = 0;
};

TimerWheel* g_wheel = nullptr;
uint64_t g_clock = 0;

void record(TimerNode* n) {
    auto* p = reinterpret_cast<Probe*>(n);
    p->firedAt = g_clock;
    ++p->fires;
}

// Advance one tick at a time so firedAt is the exact tick.
void runTo(TimerWheel& w, uint64_t t) {
    while (g_clock < t) {
        ++g_clock;
        w.advance(g_clock);
    }
}

TEST(TimerWheel, FiresAtItsTickOnEveryLevel) {
    for (uint64_t start : {uint64_t{0}, uint64_t{37}, uint64_t{255}, uint64_t{65530},
                           uint64_t{16777200}}) {
        g_clock = start;
        TimerWheel w(start);
        g_wheel = &w;
        const uint64_t delays[] = {1, 2, 255, 256, 257, 1000, 65535, 65536, 70000, 300000};
        std::vector<Probe> probes(std::size(delays));
        for (size_t i = 0; i < probes.size(); ++i) {
            EXPECT_FALSE(w.arm(probes[i].node, delays[i], record));
        }
        runTo(w, start + 300001);
        for (size_t i = 0; i < probes.size(); ++i) {
            EXPECT_EQ(probes[i].fires, 1) << "delay " << delays[i] << " start " << start;
            EXPECT_EQ(probes[i].firedAt, start + delays[i]) << "delay " << delays[i];
            EXPECT_FALSE(probes[i].node.armed);
        }
    }
}

TEST(TimerWheel, JumpsFireEverythingDue) {
    g_clock = 100;
    TimerWheel w(100);
    std::mt19937 rng(7);
    std::vector<Probe> probes(2000);
    for (Probe& p : probes) w.arm(p.node, 1 + rng() % 200000, record);
    g_clock = 100 + 100000;
    w.advance(g_clock);  // one big step
    size_t due = 0;
    for (Probe& p : probes) {
        if (p.node.expires <= g_clock) {
            EXPECT_EQ(p.fires, 1);
            ++due;
        } else {
            EXPECT_EQ(p.fires, 0);
            EXPECT_TRUE(p.node.armed);
        }
    }
    EXPECT_GT(due, 0u);
    g_clock = 100 + 200000;
    EXPECT_EQ(w.advance(g_clock), probes.size() - due);
}

TEST(TimerWheel, DisarmAndRearm) {
    g_clock = 0;
    TimerWheel w(0);
    Probe a, b;
    w.arm(a.node, 10, record);
    EXPECT_TRUE(w.disarm(a.node));
    EXPECT_FALSE(w.disarm(a.node));
    w.arm(b.node, 10, record);
    EXPECT_TRUE(w.arm(b.node, 20, record));  // moved, not armed twice
    runTo(w, 15);
    EXPECT_EQ(a.fires, 0);
    EXPECT_EQ(b.fires, 0);
    runTo(w, 20);
    EXPECT_EQ(b.fires, 1);
    EXPECT_FALSE(w.disarm(b.node));  // already fired: the handler owned it
}

struct Retrans {
    TimerNode node;
    uint64_t interval = 500;
    std::vector<uint64_t> at;
};

void retransmit(TimerNode* n) {
    auto* r = reinterpret_cast<Retrans*>(n);
    r->at.push_back(g_clock);
    r->interval = std::min<uint64_t>(r->interval * 2, 4000);
    if (r->at.size() < 6) g_wheel->arm(r->node, r->interval, retransmit);
}

TEST(TimerWheel, HandlerRearmsItself) {
    g_clock = 0;
    TimerWheel w(0);
    g_wheel = &w;
    Retrans r;
    w.arm(r.node, r.interval, retransmit);
    runTo(w, 20000);
    // Timer A/E style doubling capped at T2: 500, 1500, 3500, 7500, 11500, 15500.
    EXPECT_EQ(r.at, (std::vector<uint64_t>{500, 1500, 3500, 7500, 11500, 15500}));
}

TEST(TimerWheel, ManyInOneTick) {
    g_clock = 0;
    TimerWheel w(0);
    std::vector<Probe> probes(1000);
    for (Probe& p : probes) w.arm(p.node, 300, record);
    runTo(w, 299);
    for (Probe& p : probes) EXPECT_EQ(p.fires, 0);
    ++g_clock;
    EXPECT_EQ(w.advance(g_clock), probes.size());
    for (Probe& p : probes) EXPECT_EQ(p.fires, 1);
}

}  // namespace
}  // namespace osprey::timer
