// dispatcher algorithm 10 (call load, ds_load_keys.h): the pick is the usable destination with
// the fewest calls below its maxload, the first in set order among equals, whatever the order
// the counts, states and reloads came in -- checked against that definition written out.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "mem/pkg.h"
#include "mem/shm.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_select.h"
#include "modules/dispatcher/ds_state.h"

namespace osprey::dispatcher {
namespace {

class CallLoad : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        static bool done = false;
        if (done) return;
        done = true;
        ASSERT_TRUE(mem::shmInit(16u << 20));
        mem::pkgInit(4u << 20);
        ASSERT_TRUE(initCurrent());
        ASSERT_TRUE(initCalls(12, 60, 60));
    }

    // Publishes set 1 with one destination per {priority, attrs}. The URIs are new each time,
    // so no state set by an earlier test carries over (a reload keeps it by URI).
    void publish(const std::vector<std::pair<int, std::string>>& dests, uint32_t flags = 0) {
        static int base = 6000;
        base += 100;
        std::vector<Row> rows;
        for (size_t i = 0; i < dests.size(); ++i) {
            Row r;
            r.setid = 1;
            r.uri = "sip:127.0.0.1:" + std::to_string(base + i);
            r.flags = flags;
            r.priority = dests[i].first;
            r.attrs = dests[i].second;
            r.where = "test row " + std::to_string(i);
            rows.push_back(r);
        }
        std::string error;
        ASSERT_TRUE(publishRows(rows, &error)) << error;
    }

    // Algorithm 10's first pick in set 1 of the current list (set-relative), -1 when none.
    static int pick() {
        ReadScope rs;
        List* l = rs.list();
        const Set* s = l->findSet(1);
        Selection sel;
        return selectFirst(*l, static_cast<uint32_t>(s - l->sets), kCallLoad, 0, false, &sel);
    }

    // The definition, written out over the current list: the usable destination with the
    // fewest calls below its maxload, the first in set order among equals.
    static int expected() {
        ReadScope rs;
        const List* l = rs.list();
        const Set& s = *l->findSet(1);
        int best = -1;
        int32_t bestLoad = 0;
        for (uint32_t i = 0; i < s.count; ++i) {
            const Dest& d = l->dest(s, i);
            const int32_t load = callLoad(d.loadSlot);
            if (!usable(d.flags.load()) || (d.maxload != 0 && load >= d.maxload)) continue;
            if (best < 0 || load < bestLoad) {
                best = static_cast<int>(i);
                bestLoad = load;
            }
        }
        return best;
    }

    // The set-relative destination's duid in the current list.
    static std::string duidAt(int i) {
        ReadScope rs;
        const List* l = rs.list();
        return std::string(l->dest(*l->findSet(1), i).duid.view());
    }

    // Tracks calls on `duid` until its count is n (new calls, or the last ones ended).
    void setLoad(const std::string& duid, int n) {
        const int slot = loadSlotFor(duid);
        std::vector<uint64_t>& calls = calls_[duid];
        while (static_cast<int>(calls.size()) < n) {
            calls.push_back(++nextCall_ * 0x9e3779b97f4a7c15ull);
            loadAssign(calls.back(), slot);
        }
        while (static_cast<int>(calls.size()) > n) {
            ASSERT_TRUE(loadUnset(calls.back()));
            calls.pop_back();
        }
        ASSERT_EQ(callLoad(slot), n) << duid;
    }

    // Sends one call to the pick, as ds_select_dst(set, 10) does; returns the pick.
    int callToPick() {
        const int i = pick();
        if (i >= 0) setLoad(duidAt(i), static_cast<int>(calls_[duidAt(i)].size()) + 1);
        return i;
    }

    void setState(int i, uint32_t bits) {
        ReadScope rs;
        List* l = rs.list();
        Set& s = l->sets[l->findSet(1) - l->sets];
        applyState(*l, s, l->dest(s, static_cast<uint32_t>(i)), bits, false);
    }

    // Ends every call this test made, so the next test starts from zero.
    void TearDown() override {
        for (auto& [duid, calls] : calls_) setLoad(duid, 0);
    }

    std::map<std::string, std::vector<uint64_t>> calls_;
    uint64_t nextCall_ = 0;
};

TEST_F(CallLoad, WorstCaseEveryDestinationBusyEachLessLoadedThanTheOneBefore) {
    std::vector<std::pair<int, std::string>> dests;
    for (int i = 0; i < 100; ++i) dests.push_back({0, "duid=w" + std::to_string(i)});
    publish(dests);
    for (int i = 0; i < 100; ++i) setLoad(duidAt(i), 100 - i);
    EXPECT_EQ(pick(), 99);
    // New calls go to the least loaded, then fill the set up evenly from its end: the 100th
    // destination until it has the 99th's count, then both, the first of equals first...
    EXPECT_EQ(callToPick(), 99);  // 1 -> 2, now equal to the 99th: the 99th (index 98) first
    EXPECT_EQ(callToPick(), 98);
    EXPECT_EQ(callToPick(), 99);
    for (int n = 0; n < 2000; ++n) {
        const int want = expected();
        ASSERT_EQ(callToPick(), want) << "call " << n;
    }
}

TEST_F(CallLoad, TiesGoToTheFirstInSetOrderWhichIsPriorityOrder) {
    // Set order: b and c (priority 5, as written), then a (priority 0).
    publish({{0, "duid=ta"}, {5, "duid=tb"}, {5, "duid=tc"}});
    ASSERT_EQ(duidAt(0), "tb");
    ASSERT_EQ(duidAt(2), "ta");
    EXPECT_EQ(callToPick(), 0);  // all idle: b
    EXPECT_EQ(callToPick(), 1);  // c
    EXPECT_EQ(callToPick(), 2);  // a
    EXPECT_EQ(callToPick(), 0);  // all at 1: b again
    setLoad("tc", 0);
    EXPECT_EQ(pick(), 1);
}

TEST_F(CallLoad, MaxloadTakesADestinationOutUntilACallEnds) {
    publish({{0, "duid=ma;maxload=1"}, {0, "duid=mb;maxload=3"}});
    EXPECT_EQ(callToPick(), 0);
    EXPECT_EQ(callToPick(), 1);  // a at its maxload 1
    EXPECT_EQ(callToPick(), 1);
    EXPECT_EQ(callToPick(), 1);  // b now at 3 too
    EXPECT_EQ(pick(), -1);       // every destination full: the selection fails
    setLoad("mb", 2);
    EXPECT_EQ(pick(), 1);  // below its maxload again, though more loaded than a
    setLoad("ma", 0);
    EXPECT_EQ(pick(), 0);
}

TEST_F(CallLoad, InactiveAndDisabledAreSkippedTryingStillServes) {
    // The least loaded after a skipped one is never simply the next in set order.
    publish({{0, "duid=sa"}, {0, "duid=sb"}, {0, "duid=sc"}});
    setLoad("sb", 3);
    setLoad("sc", 2);
    EXPECT_EQ(pick(), 0);
    setState(0, kInactive | kProbing);
    EXPECT_EQ(pick(), 2);
    setState(2, kDisabled);
    EXPECT_EQ(pick(), 1);
    setState(1, kTrying | kProbing);  // trying: still selected
    EXPECT_EQ(pick(), 1);
    setState(1, kInactive);
    EXPECT_EQ(pick(), -1);
    setState(2, 0);
    EXPECT_EQ(pick(), 2);
    setState(0, 0);  // back: least loaded again
    EXPECT_EQ(pick(), 0);
    // Disabled in the list file.
    publish({{0, "duid=sa"}, {0, "duid=sb"}}, kDisabled);
    EXPECT_EQ(pick(), -1);
}

TEST_F(CallLoad, WithoutDuidADestinationCountsAsIdle) {
    publish({{0, "duid=na"}, {0, ""}});
    setLoad("na", 1);
    EXPECT_EQ(pick(), 1);
}

TEST_F(CallLoad, CountsSurviveAReloadThatReordersTheSet) {
    publish({{0, "duid=ra"}, {0, "duid=rb"}, {0, "duid=rc"}});
    setLoad("ra", 1);
    setLoad("rb", 3);
    setLoad("rc", 2);
    EXPECT_EQ(pick(), 0);
    // rb first now; ra, least loaded, is last in set order.
    publish({{9, "duid=rb"}, {5, "duid=rc"}, {1, "duid=ra"}});
    ASSERT_EQ(duidAt(2), "ra");
    EXPECT_EQ(pick(), 2);
    setLoad("ra", 5);
    EXPECT_EQ(pick(), 1);  // rc with 2
}

TEST_F(CallLoad, AnyMixOfCountsStatesAndMaxloadsPicksWhatTheDefinitionSays) {
    std::mt19937 rng(20261206);
    std::vector<std::pair<int, std::string>> dests;
    for (int i = 0; i < 40; ++i) {
        std::string attrs = "duid=x" + std::to_string(i % 30);  // some share a counter
        if (i % 4 == 0) attrs += ";maxload=" + std::to_string(1 + i % 5);
        dests.push_back({static_cast<int>(rng() % 3), attrs});
    }
    publish(dests);
    const uint32_t states[] = {0, 0, 0, kTrying, kInactive, kDisabled};
    for (int round = 0; round < 500; ++round) {
        const int i = static_cast<int>(rng() % 40);
        if (rng() % 4 == 0) {
            setState(i, states[rng() % 6]);
        } else {
            setLoad(duidAt(i), static_cast<int>(rng() % 8));
        }
        ASSERT_EQ(pick(), expected()) << "round " << round;
    }
}

}  // namespace
}  // namespace osprey::dispatcher
