// Taking back memory parked in other processes' shm caches (docs/shm-cache.md), with real
// forked processes and a real segment: an allocation that fails takes back an idle process's
// cache; the master gives a killed process's cache back; a process killed or stopped inside a
// cache operation neither wedges reclaiming nor corrupts the heap; reclaiming while workers
// allocate never hands one block to two owners. Builds without the cache (qm, MEMDBG=1) run
// the same tests: there nothing is parked, and the same memory must be usable.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <vector>

#include "mem/shm.h"
#include "test/unit/mem_shm_test_support.h"

using namespace osprey::mem;
using namespace osprey::mem::shmtest;

namespace {

constexpr size_t kSegment = size_t{4} << 20;  // per-process cache cap: 256 KiB

// What a parked child caches: 60 x 1 KiB, 30 x 2 KiB and 14 x 4 KiB, which with the rest of
// their refill batches is 64 + 32 + 16 blocks = 192 KiB: under the per-class high-water marks
// and the cap, so the cache keeps all of it.
struct Parked {
    size_t size;
    int count;
};
constexpr Parked kParked[] = {{1024, 60}, {2048, 30}, {4096, 14}};
constexpr uint64_t kParkedBytes = 192 << 10;

enum class Then : uint8_t { Idle, HoldCacheOp };

// A child in `slot` that fills its cache, reports what all caches hold, then waits for one
// byte on a pipe without touching shm (an idle worker); after that it uses its cache a little,
// checking the contents of what it allocates, flushes and exits 0. With HoldCacheOp it waits
// marked as inside a cache operation (stopped there, or killed there if the test kills it).
class ParkedChild {
public:
    ~ParkedChild() {
        for (int fd : {toParent_[0], toParent_[1], go_[0], go_[1]})
            if (fd >= 0) close(fd);
    }

    bool start(unsigned slot, Then then) {
        if (pipe(toParent_) != 0 || pipe(go_) != 0) return false;
        pid = forkChild([&] { return run(slot, then); });
        return pid > 0 && readAll(toParent_[0], &parked, sizeof parked);
    }
    void release() {
        char c = 'g';
        EXPECT_TRUE(writeAll(go_[1], &c, 1));
    }

    pid_t pid = -1;
    uint64_t parked = 0;

private:
    int run(unsigned slot, Then then) {
        shmChildInit(slot);
        std::vector<void*> blocks;
        for (auto [size, count] : kParked) {
            for (int i = 0; i < count; ++i) {
                void* p = shmAlloc(size);
                if (!p) return 1;
                fill(p, size, static_cast<uint32_t>(i));
                blocks.push_back(p);
            }
        }
        for (void* p : blocks) shmFree(p);
        uint64_t cached = shmCachedBytes();
        if (then == Then::HoldCacheOp) shmTestHoldCacheOp(true);
        if (!writeAll(toParent_[1], &cached, sizeof cached)) return 2;
        char c;
        if (!readAll(go_[0], &c, 1, 60000)) return 3;
        shmTestHoldCacheOp(false);
        for (uint32_t i = 0; i < 300; ++i) {
            size_t n = 64 + (i * 97) % 4000;
            void* p = shmAlloc(n);
            if (!p) return 4;
            fill(p, n, i);
            if (!verify(p, n, i)) return 5;
            shmFree(p);
        }
        shmFlushCache();
        return 0;
    }

    int toParent_[2] = {-1, -1};
    int go_[2] = {-1, -1};
};

// Allocates until nothing more can be had, biggest sizes first, so that what is left free is
// only crumbs smaller than the smallest request.
std::vector<void*> exhaust() {
    std::vector<void*> got;
    for (size_t size : {65536, 16384, 4096, 1024, 256, 64, 16}) {
        for (int i = 0; i < 1000000; ++i) {
            void* p = shmAlloc(size);
            if (!p) break;
            got.push_back(p);
        }
    }
    return got;
}

// Free bytes of the heap itself, without the blocks parked in caches.
uint64_t heapFree() {
    return shmStats().freeBytes - shmCachedBytes();
}

// Fresh segment per test; the balance of callers' allocations and frees is checked at the end.
class ShmReclaim : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(shmInit(kSegment));
        base_ = shmStats();
    }
    void TearDown() override { shmDestroy(); }

    // Everything allocated was freed and every cache flushed: nothing lost, nothing freed twice.
    void expectBalanced() {
        HeapStats now = shmStats();
        EXPECT_EQ(now.used, base_.used);
        EXPECT_EQ(now.allocCount - now.freeCount, base_.allocCount - base_.freeCount);
        EXPECT_EQ(shmCachedBytes(), 0u);
        EXPECT_TRUE(shmCheck());
    }

    HeapStats base_;
};

}  // namespace

TEST_F(ShmReclaim, AFailedAllocationTakesBackAnIdleProcesssCache) {
    ParkedChild child;
    ASSERT_TRUE(child.start(1, Then::Idle));
    EXPECT_EQ(child.parked, kCaches ? kParkedBytes : 0u);

    std::vector<void*> mine;
    {
        LogCounter oom("shm: out of memory");
        mine = exhaust();
        EXPECT_GE(oom.count(), 1);
    }
    // Out of memory must mean out of memory: nothing left parked in the idle child's cache.
    EXPECT_EQ(shmCachedBytes(), 0u);
    EXPECT_LT(shmStats().freeBytes, size_t{32} << 10);

    for (void* p : mine) shmFree(p);
    shmFlushCache();
    child.release();  // its lists were taken while it slept: it must carry on unharmed
    EXPECT_EQ(reap(child.pid), 0);
    expectBalanced();
}

TEST_F(ShmReclaim, AKilledProcesssCacheGoesBackToTheHeap) {
    ParkedChild child;
    ASSERT_TRUE(child.start(1, Then::Idle));
    EXPECT_EQ(child.parked, kCaches ? kParkedBytes : 0u);
    EXPECT_EQ(shmCachedBytes(), child.parked);
    ASSERT_EQ(kill(child.pid, SIGKILL), 0);
    EXPECT_EQ(reap(child.pid), 128 + SIGKILL);

    uint64_t freeBefore = heapFree();
    EXPECT_EQ(shmReclaimDeadProcess(child.pid), child.parked);  // what the master does
    EXPECT_EQ(shmCachedBytes(), 0u);
    EXPECT_GE(heapFree(), freeBefore + child.parked);
    EXPECT_EQ(shmReclaimDeadProcess(child.pid), 0u);  // nothing is given back twice
    expectBalanced();
}

TEST_F(ShmReclaim, TheNextUserOfADeadProcesssSlotGivesItsCacheBack) {
    ParkedChild dead;
    ASSERT_TRUE(dead.start(1, Then::Idle));
    ASSERT_EQ(kill(dead.pid, SIGKILL), 0);
    EXPECT_EQ(reap(dead.pid), 128 + SIGKILL);
    EXPECT_EQ(shmCachedBytes(), dead.parked);

    ParkedChild next;  // claims slot 1 without the master having reclaimed it
    ASSERT_TRUE(next.start(1, Then::Idle));
    EXPECT_EQ(next.parked, kCaches ? kParkedBytes : 0u);  // its own cache only
    next.release();
    EXPECT_EQ(reap(next.pid), 0);
    expectBalanced();
}

TEST_F(ShmReclaim, AProcessKilledInsideACacheOperationDoesNotWedgeReclaiming) {
    ParkedChild child;
    ASSERT_TRUE(child.start(1, Then::HoldCacheOp));
    ASSERT_EQ(kill(child.pid, SIGKILL), 0);
    // Wait for the death without reaping: the reclaimer meets a zombie, as it would before the
    // master has reaped the worker.
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOWAIT), 0);

    std::vector<void*> mine;
    {
        LogCounter gaveBack("cached by dead process");
        mine = exhaust();
        EXPECT_EQ(gaveBack.count(), kCaches ? 1 : 0);
    }
    EXPECT_EQ(shmCachedBytes(), 0u);
    EXPECT_LT(shmStats().freeBytes, size_t{32} << 10);
    for (void* p : mine) shmFree(p);
    shmFlushCache();
    EXPECT_EQ(reap(child.pid), 128 + SIGKILL);
    expectBalanced();
}

TEST_F(ShmReclaim, AProcessStoppedInsideACacheOperationIsSkippedNotWaitedFor) {
    ParkedChild child;
    ASSERT_TRUE(child.start(1, Then::HoldCacheOp));  // alive, never leaves the operation

    std::vector<void*> mine;
    {
        LogCounter skipped("could not take back");
        mine = exhaust();  // each failure waits a bounded time for the child, then gives up
        EXPECT_EQ(skipped.count() >= 1, kCaches);
    }
    // Its cache was left alone: taking lists from an owner inside an operation would race it.
    EXPECT_EQ(shmCachedBytes(), child.parked);
    for (void* p : mine) shmFree(p);
    shmFlushCache();
    child.release();
    EXPECT_EQ(reap(child.pid), 0);
    expectBalanced();
}

TEST_F(ShmReclaim, ReclaimingWhileWorkersRunHandsNoBlockToTwoOwners) {
    constexpr int kWorkers = 2, kOps = 30000, kLive = 128;
    std::vector<pid_t> kids;
    for (int w = 0; w < kWorkers; ++w) {
        kids.push_back(forkChild([w] {
            shmChildInit(1 + w);
            Rng r{static_cast<uint64_t>(w) * 7919 + 3};
            struct Live {
                void* p = nullptr;
                size_t n = 0;
                uint32_t seed = 0;
            };
            std::vector<Live> fifo(kLive);
            int rc = 0;
            for (int i = 0; i < kOps && rc == 0; ++i) {
                Live& l = fifo[i % kLive];
                if (l.p) {
                    // Another owner of the block would have overwritten the pattern.
                    if (!verify(l.p, l.n, l.seed)) rc = 10;
                    shmFree(l.p);
                }
                l.n = transactionSize(r);
                l.seed = static_cast<uint32_t>(r.next());
                l.p = shmAlloc(l.n);
                if (!l.p)
                    rc = 11;
                else
                    fill(l.p, l.n, l.seed);
            }
            for (Live& l : fifo) {
                if (l.p && !verify(l.p, l.n, l.seed) && rc == 0) rc = 12;
                shmFree(l.p);
            }
            shmFlushCache();
            return rc;
        }));
    }
    // Take every cache back over and over while the workers allocate and free.
    uint64_t reclaimed = 0;
    int running = kWorkers, status = 0;
    std::vector<int> rcs;
    for (long round = 0; running > 0 && round < 50000000; ++round) {
        reclaimed += shmReclaimAllCaches();
        pid_t done = waitpid(-1, &status, WNOHANG);
        if (done > 0) {
            --running;
            rcs.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
    for (; running > 0; --running) {  // the bound above was hit: still reap them
        pid_t done = waitpid(-1, &status, 0);
        if (done > 0)
            rcs.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    EXPECT_EQ(rcs, std::vector<int>(kWorkers, 0));
    EXPECT_EQ(reclaimed > 0, kCaches);
    shmFlushCache();
    expectBalanced();
}
