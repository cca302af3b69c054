// The statistics framework with real processes: every forked child counts in its own shm row
// and reads sum the rows; a process that died keeps its counts in the totals and its
// successor in the same slot adds to them; reset bases; Kamailio's selectors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/stats/core_stats.h"
#include "core/stats/read.h"
#include "core/stats/registry.h"
#include "mem/shm.h"

namespace osprey::stats {
namespace {

constexpr unsigned kRows = 8;

class StatsFramework : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(16u << 20));
        }
        ASSERT_TRUE(createTable(kRows));
    }

    // Forks a child that attaches to `slot` and runs fn, then exits 0; returns its pid.
    template <typename Fn>
    static pid_t child(unsigned slot, Fn fn) {
        const pid_t pid = fork();
        if (pid == 0) {
            attachProcess(slot);
            fn();
            _exit(0);
        }
        return pid;
    }
    static void reap(pid_t pid) {
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
};

TEST_F(StatsFramework, ChildrenCountInTheirOwnRowsAndReadsSumThem) {
    const Counter c = declareCounter("test", "summed", "children's counts");
    ASSERT_NE(c.id, 0);
    inc(c);  // the parent, slot 0
    std::vector<pid_t> kids;
    for (unsigned slot = 1; slot <= 3; ++slot) {
        kids.push_back(child(slot, [&] {
            for (unsigned i = 0; i < 1000 * slot; ++i) inc(c);
        }));
    }
    for (pid_t p : kids) reap(p);
    EXPECT_EQ(value(c), 1 + 1000 + 2000 + 3000);
    // Each child's total sits in its slot's row, nowhere else.
    EXPECT_EQ(rowValue(0, c.id), 1);
    EXPECT_EQ(rowValue(2, c.id), 2000);
    EXPECT_EQ(rowValue(4, c.id), 0);
}

TEST_F(StatsFramework, ConcurrentWritersLoseNothing) {
    // Single writer per cell: plain load+store in parallel processes must still add up.
    const Counter c = declareCounter("test", "concurrent", "parallel children");
    std::vector<pid_t> kids;
    for (unsigned slot = 1; slot <= 4; ++slot) {
        kids.push_back(child(slot, [&] {
            for (unsigned i = 0; i < 200000; ++i) inc(c);
        }));
    }
    for (pid_t p : kids) reap(p);
    EXPECT_EQ(value(c), 4 * 200000);
}

TEST_F(StatsFramework, ADeadProcessKeepsItsCountsAndItsSuccessorAddsToThem) {
    const Counter c = declareCounter("test", "restarted", "counts across a restart");
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t victim = child(5, [&] {
        for (unsigned i = 0; i < 700; ++i) inc(c);
        const char b = 1;
        (void)!write(ready[1], &b, 1);
        pause();  // killed here, as a crashing worker would be
    });
    char b = 0;
    ASSERT_EQ(read(ready[0], &b, 1), 1);
    kill(victim, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(victim, &status, 0), victim);
    ASSERT_TRUE(WIFSIGNALED(status));
    close(ready[0]);
    close(ready[1]);
    EXPECT_EQ(value(c), 700);
    // The supervisor forks the replacement into the same slot.
    reap(child(5, [&] {
        for (unsigned i = 0; i < 300; ++i) inc(c);
    }));
    EXPECT_EQ(value(c), 1000);
}

TEST_F(StatsFramework, ResetZeroesResettableCountersOnly) {
    const Counter a = declareCounter("reset", "a", "resettable");
    const Counter keep = declareCounter("reset", "keep", "no reset", kNoReset);
    const Gauge g = declareGauge("reset", "level", "a gauge");
    reap(child(1, [&] {
        add(a, 40);
        add(keep, 40);
        add(g, 5);
    }));
    add(a, 2);
    EXPECT_EQ(value(a), 42);
    EXPECT_EQ(reset("reset:"), 1u);
    EXPECT_EQ(value(a), 0);
    EXPECT_EQ(value(keep), 40);
    EXPECT_EQ(value(g), 5);
    // Counting goes on after a reset, in any process.
    reap(child(2, [&] { add(a, 3); }));
    inc(a);
    EXPECT_EQ(value(a), 4);
    EXPECT_EQ(reset("reset.a"), 1u);
    EXPECT_EQ(value(a), 0);
}

TEST_F(StatsFramework, GaugesSumAcrossProcessesLevelsAreShared) {
    const Gauge inuse = declareGauge("gauge", "inuse", "created here, freed there");
    const Gauge level = declareGauge("gauge", "setting", "one value", Kind::Level);
    reap(child(1, [&] {
        inc(inuse);
        inc(inuse);
        setLevel(level, 3600);
    }));
    reap(child(2, [&] { dec(inuse); }));
    EXPECT_EQ(value(inuse), 1);
    EXPECT_EQ(value(level), 3600);
    EXPECT_EQ(reset("gauge:"), 0u);
    EXPECT_EQ(value(inuse), 1);
}

TEST_F(StatsFramework, PerProcessGaugesKeepEachProcessValue) {
    const Gauge own = declareGauge("pp", "heap", "per process", Kind::PerProcess);
    setOwn(own, 10);
    reap(child(3, [&] { setOwn(own, 32); }));
    const Snapshot s = select("pp:heap");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].value, 42);
    int64_t slot3 = -1;
    for (const ProcessValue& v : s[0].perProcess)
        if (v.slot == 3) slot3 = v.value;
    EXPECT_EQ(slot3, 32);
}

int64_t fortyTwo(uintptr_t arg) {
    return static_cast<int64_t>(arg) + 40;
}

TEST_F(StatsFramework, FunctionGaugesAreComputedWhenRead) {
    const Gauge f = declareFunc("fn", "answer", "computed", &fortyTwo, 2);
    EXPECT_EQ(value(f), 42);
}

TEST_F(StatsFramework, KamailioSelectors) {
    const Counter x = declareCounter("sel", "x_count", "x");
    declareCounter("sel", "y_count", "y");
    add(x, 7);
    EXPECT_GE(select("all").size(), 2u + 10u);  // the core's too
    const Snapshot group = select("sel:");
    ASSERT_EQ(group.size(), 2u);
    EXPECT_EQ(group[0].name, "x_count");  // declaration order
    EXPECT_EQ(group[1].name, "y_count");
    for (const char* sel : {"x_count", "sel:x_count", "sel.x_count"}) {
        const Snapshot one = select(sel);
        ASSERT_EQ(one.size(), 1u) << sel;
        EXPECT_EQ(one[0].value, 7) << sel;
        EXPECT_EQ(kamailioLine(one[0]), "sel:x_count = 7");
        EXPECT_EQ(fetchKey(one[0]), "sel.x_count");
    }
    EXPECT_TRUE(select("nope").empty());
    EXPECT_TRUE(select("other:x_count").empty());
    EXPECT_TRUE(select("nogroup:").empty());
}

TEST_F(StatsFramework, RpcAnswersAsKamailioGivesThem) {
    const Counter a = declareCounter("rpc", "a_total", "a");
    const Counter b = declareCounter("rpc", "b_total", "b");
    add(a, 3);
    add(b, 4);
    const std::string_view args[] = {"rpc:", "rpc.a_total", "missing"};
    const std::vector<std::string> lines = getStatistics(args);
    ASSERT_EQ(lines.size(), 3u);  // the group, then a again: get_statistics repeats it
    EXPECT_EQ(lines[0], "rpc:a_total = 3");
    EXPECT_EQ(lines[1], "rpc:b_total = 4");
    EXPECT_EQ(lines[2], "rpc:a_total = 3");
    const auto members = fetch(args);  // a struct: each member once
    ASSERT_EQ(members.size(), 2u);
    EXPECT_EQ(members[0].first, "rpc.a_total");
    EXPECT_EQ(members[0].second, 3);
    EXPECT_EQ(members[1].first, "rpc.b_total");
    const std::string_view resetArgs[] = {"rpc.b_total"};
    EXPECT_EQ(resetStatistics(resetArgs), 1u);
    EXPECT_EQ(value(b), 0);
    EXPECT_EQ(value(a), 3);
}

TEST_F(StatsFramework, DeclarationsAreIdempotentAndChecked) {
    const Counter a = declareCounter("dup", "same", "first");
    EXPECT_EQ(declareCounter("dup", "same", "again").id, a.id);
    EXPECT_EQ(declareGauge("dup", "same", "other kind").id, 0);
    EXPECT_EQ(declareCounter("dup", std::string(kMaxNameLen + 1, 'n'), "too long").id, 0);
    EXPECT_EQ(declareCounter("", "empty_group", "no group").id, 0);
    // The sink takes what an undeclared handle counts, and nobody reads it.
    Counter none;
    inc(none);
    EXPECT_EQ(value(none), 0);
}

TEST_F(StatsFramework, CoreStatisticsHaveTheirFixedIdsAndKamailioNames) {
    EXPECT_EQ(findStat("core", "rcv_requests"), core::kRcvRequests);
    EXPECT_EQ(findStat("core", "rcv_requests_invite"), core::kRcvRequestsMethod);
    EXPECT_EQ(findStat("core", "rcv_replies_404"), core::kRcvRepliesCode + 4);
    EXPECT_EQ(findStat("core", "rcv_replies_2xx_reg"), core::kRcvRepliesMethodClass + 3 * 6 + 1);
    EXPECT_EQ(findStat("shmem", "real_used_size"), core::kShmRealUsed);
    EXPECT_EQ(findStat("osprey", "send_batches"), core::kSendBatches);
    EXPECT_EQ(statCount() >= core::kCoreEnd - 1, true);
    EXPECT_GT(value(core::kShmTotal), 0);
    EXPECT_GE(value(core::kShmTotal), value(core::kShmUsed));
}

}  // namespace
}  // namespace osprey::stats
