// The shared heap across processes: blocks visible at the same address everywhere, concurrent
// alloc/free with content checks, blocks freed by another process than the allocating one,
// the per-process cache (size classes, stats, fork reset), exhaustion and recovery.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <thread>
#include <vector>

#include "mem/shm.h"
#include "mem/shm_size_class.h"
#include "test/unit/mem_shm_test_support.h"

using namespace osprey::mem;
using namespace osprey::mem::shmtest;

namespace {

class Shm : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(shmInit(kBytes)); }
    void TearDown() override { shmDestroy(); }
    static constexpr size_t kBytes = size_t{32} << 20;
};

}  // namespace

TEST(ShmSizeClass, EveryRequestGetsTheSmallestFittingClass) {
    using namespace shmcache;
    for (size_t n = 0; n <= kMaxCachedSize; ++n) {
        unsigned c = classForRequest(n);
        ASSERT_LT(c, kClassCount) << n;
        ASSERT_GE(classSize(c), n) << n;
        if (c > 0) {
            ASSERT_LT(classSize(c - 1), n) << n;
        }
        ASSERT_EQ(classSize(c) % 16, 0u);
    }
    EXPECT_EQ(classForRequest(kMaxCachedSize + 1), kNoClass);
}

TEST(ShmSizeClass, EveryBlockServesTheLargestClassItHolds) {
    using namespace shmcache;
    EXPECT_EQ(classForBlock(15), kNoClass);
    for (size_t u = 16; u < kMaxCachedSize * 2; ++u) {
        unsigned c = classForBlock(u);
        if (c == kNoClass) {
            ASSERT_GT(u, kMaxCachedSize) << u;
            continue;
        }
        ASSERT_LE(classSize(c), u) << u;
        if (c + 1 < kClassCount) {
            ASSERT_GT(classSize(c + 1), u) << u;
        }
        ASSERT_LE(u - classSize(c), classSize(c) / 8 + 16) << u;  // bounded waste
    }
}

TEST(ShmNotInitialised, CallsFailCleanly) {
    EXPECT_FALSE(shmReady());
    LogCounter log("before shmInit");
    EXPECT_EQ(shmAlloc(64), nullptr);
    EXPECT_EQ(shmRealloc(nullptr, 64), nullptr);
    int x = 0;
    shmFree(&x);
    EXPECT_FALSE(shmOwns(&x));
    EXPECT_GE(log.count(), 1);
    EXPECT_EQ(shmStats().total, 0u);
}

TEST_F(Shm, CachingFollowsTheBuildAndTheThread) {
#if OSPREY_MEMDBG || defined(OSPREY_MEMMNG_qm)
    EXPECT_FALSE(shmCaching());
#else
    EXPECT_TRUE(shmCaching());
#endif
    bool other = true;
    std::thread([&] { other = shmCaching(); }).join();
    EXPECT_FALSE(other);
}

TEST_F(Shm, AllocFreeReallocInOneProcess) {
    EXPECT_TRUE(shmReady());
    EXPECT_FALSE(shmInit(kBytes));  // a second segment is refused
    std::vector<std::pair<void*, size_t>> live;
    for (size_t n : {size_t{0}, size_t{1}, size_t{16}, size_t{100}, size_t{256}, size_t{257},
                     size_t{9664}, size_t{16384}, size_t{16385}, size_t{100000}}) {
        void* p = shmAlloc(n);
        ASSERT_NE(p, nullptr) << n;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << n;
        EXPECT_TRUE(shmOwns(p));
        fill(p, n, static_cast<uint32_t>(n));
        live.push_back({p, n});
    }
    for (auto [p, n] : live) EXPECT_TRUE(verify(p, n, static_cast<uint32_t>(n))) << n;
    for (auto [p, n] : live) shmFree(p);
    int local = 0;
    EXPECT_FALSE(shmOwns(&local));
    shmFree(nullptr);

    auto* z = static_cast<unsigned char*>(shmAllocZero(3000));
    ASSERT_NE(z, nullptr);
    for (int i = 0; i < 3000; ++i) ASSERT_EQ(z[i], 0) << i;
    shmFree(z);

    // Grow across the cached/uncached boundary and back, keeping the contents.
    void* p = shmRealloc(nullptr, 100);
    ASSERT_NE(p, nullptr);
    fill(p, 100, 7);
    size_t have = 100;
    for (size_t n : {size_t{5000}, size_t{40000}, size_t{120000}, size_t{3000}, size_t{50}}) {
        void* q = shmRealloc(p, n);
        ASSERT_NE(q, nullptr) << n;
        EXPECT_TRUE(verify(q, std::min(have, n), 7)) << n;
        fill(q, n, 7);
        p = q;
        have = n;
    }
    EXPECT_EQ(shmRealloc(p, 0), nullptr);  // frees
}

TEST_F(Shm, StatsCountCachedBlocksAsFreeAndReturnToBaseline) {
    shmFlushCache();
    HeapStats base = shmStats();
    EXPECT_GT(base.total, kBytes / 2);
    EXPECT_LE(base.total, kBytes);
    std::vector<void*> blocks;
    for (int i = 0; i < 1000; ++i) blocks.push_back(shmAlloc(64 + (i % 7) * 300));
    for (void* b : blocks) ASSERT_NE(b, nullptr);
    HeapStats busy = shmStats();
    EXPECT_GE(busy.used, base.used + 1000 * 64);
    EXPECT_EQ(busy.allocCount - base.allocCount, 1000u);
    for (void* b : blocks) shmFree(b);
    HeapStats after = shmStats();  // blocks may sit in the cache: counted as free
    EXPECT_EQ(after.used, base.used);
    EXPECT_EQ(after.freeCount - base.freeCount, 1000u);
    EXPECT_EQ(after.allocCount - base.allocCount, 1000u);
    shmFlushCache();
    HeapStats flushed = shmStats();
    EXPECT_EQ(flushed.used, base.used);
    EXPECT_EQ(flushed.realUsed, base.realUsed);
    EXPECT_EQ(flushed.freeBytes, base.freeBytes);
    EXPECT_EQ(flushed.allocCount - flushed.freeCount, base.allocCount - base.freeCount);
}

TEST_F(Shm, BlockIsAtTheSameAddressInParentAndChild) {
    auto* parentBlock = static_cast<char*>(shmAlloc(5000));
    ASSERT_NE(parentBlock, nullptr);
    fill(parentBlock, 5000, 11);
    int toParent[2];
    ASSERT_EQ(pipe(toParent), 0);
    pid_t child = forkChild([&] {
        shmChildInit(1);
        if (!verify(parentBlock, 5000, 11)) return 1;
        fill(parentBlock, 5000, 12);  // the parent must see this write
        void* mine = shmAlloc(700);
        if (!mine) return 2;
        fill(mine, 700, 13);
        if (!writeAll(toParent[1], &mine, sizeof mine)) return 3;
        shmFlushCache();
        return 0;
    });
    void* fromChild = nullptr;
    ASSERT_TRUE(readAll(toParent[0], &fromChild, sizeof fromChild));
    EXPECT_EQ(reap(child), 0);
    EXPECT_TRUE(shmOwns(fromChild));
    EXPECT_TRUE(verify(fromChild, 700, 13));
    EXPECT_TRUE(verify(parentBlock, 5000, 12));
    shmFree(fromChild);  // allocated by the child, freed by the parent
    shmFree(parentBlock);
    close(toParent[0]);
    close(toParent[1]);
}

TEST_F(Shm, ConcurrentWorkersVerifyContents) {
    shmFlushCache();
    HeapStats base = shmStats();
    constexpr int kWorkers = 3, kOps = 15000, kLive = 256;
    std::vector<pid_t> kids;
    for (int w = 0; w < kWorkers; ++w) {
        kids.push_back(forkChild([w] {
            shmChildInit(1 + w);
            Rng r{static_cast<uint64_t>(w) * 7919 + 1};
            struct Live {
                void* p;
                size_t n;
                uint32_t seed;
            };
            std::vector<Live> fifo(kLive, Live{nullptr, 0, 0});
            int rc = 0;
            for (int i = 0; i < kOps && rc == 0; ++i) {
                Live& slot = fifo[i % kLive];
                if (slot.p) {
                    if (!verify(slot.p, slot.n, slot.seed)) rc = 10;
                    // Now and then grow or shrink a block instead of replacing it.
                    if (r.next() % 16 == 0) {
                        size_t n = transactionSize(r);
                        void* q = shmRealloc(slot.p, n);
                        if (!q) {
                            rc = 11;
                            break;
                        }
                        if (!verify(q, std::min(n, slot.n), slot.seed)) rc = 12;
                        slot.p = q;
                        slot.n = n;
                        fill(q, n, slot.seed);
                        continue;
                    }
                    shmFree(slot.p);
                }
                slot.n = transactionSize(r);
                slot.seed = static_cast<uint32_t>(r.next());
                slot.p = shmAlloc(slot.n);
                if (!slot.p) {
                    rc = 13;
                    break;
                }
                fill(slot.p, slot.n, slot.seed);
            }
            for (Live& l : fifo) {
                if (l.p && !verify(l.p, l.n, l.seed) && rc == 0) rc = 14;
                shmFree(l.p);
            }
            shmFlushCache();
            return rc;
        }));
    }
    for (pid_t k : kids) EXPECT_EQ(reap(k), 0);
    HeapStats after = shmStats();
    EXPECT_EQ(after.used, base.used);
    EXPECT_EQ(after.realUsed, base.realUsed);
    EXPECT_EQ(after.allocCount - after.freeCount, base.allocCount - base.freeCount);
    EXPECT_EQ(after.freeBytes, base.freeBytes);
}

TEST_F(Shm, BlocksAllocatedInOneProcessAreFreedInAnother) {
    shmFlushCache();
    HeapStats base = shmStats();
    constexpr int kBlocks = 20000;
    int ring[2];
    ASSERT_EQ(pipe(ring), 0);
    struct Msg {
        void* p;
        uint32_t n;
        uint32_t seed;
    };
    pid_t producer = forkChild([&] {
        close(ring[0]);
        shmChildInit(1);
        Rng r{42};
        for (int i = 0; i < kBlocks; ++i) {
            Msg m{nullptr, static_cast<uint32_t>(transactionSize(r)), static_cast<uint32_t>(i)};
            m.p = shmAlloc(m.n);
            if (!m.p) return 1;
            fill(m.p, m.n, m.seed);
            if (!writeAll(ring[1], &m, sizeof m)) return 2;
        }
        shmFlushCache();
        return 0;
    });
    pid_t consumer = forkChild([&] {
        close(ring[1]);
        shmChildInit(2);
        int bad = 0;
        for (int i = 0; i < kBlocks; ++i) {
            Msg m;
            if (!readAll(ring[0], &m, sizeof m)) return 3;
            if (!shmOwns(m.p) || !verify(m.p, m.n, m.seed)) ++bad;
            shmFree(m.p);
        }
        shmFlushCache();
        return bad ? 4 : 0;
    });
    close(ring[0]);
    close(ring[1]);
    EXPECT_EQ(reap(producer), 0);
    EXPECT_EQ(reap(consumer), 0);
    HeapStats after = shmStats();
    EXPECT_EQ(after.used, base.used);
    EXPECT_EQ(after.allocCount - after.freeCount, base.allocCount - base.freeCount);
    EXPECT_EQ(after.freeBytes, base.freeBytes);
}

TEST_F(Shm, ChildDoesNotReuseTheParentsCachedBlocks) {
    void* p = shmAlloc(64);
    ASSERT_NE(p, nullptr);
    shmFree(p);  // cached in the parent (or back in the heap, uncached builds)
    int toParent[2];
    ASSERT_EQ(pipe(toParent), 0);
    for (bool init : {true, false}) {
        pid_t child = forkChild([&] {
            if (init) shmChildInit(1);
            void* got[2] = {shmAlloc(64), shmAlloc(64)};
            bool ok = writeAll(toParent[1], got, sizeof got);
            return ok && got[0] && got[1] ? 0 : 1;
        });
        void* got[2] = {};
        ASSERT_TRUE(readAll(toParent[0], got, sizeof got));
        EXPECT_EQ(reap(child), 0);
        void* mine = shmAlloc(64);
        ASSERT_NE(mine, nullptr);
        // The parent's block and the child's two must be three distinct live blocks.
        EXPECT_NE(got[0], mine) << "init=" << init;
        EXPECT_NE(got[1], mine) << "init=" << init;
        EXPECT_NE(got[0], got[1]);
        shmFree(got[0]);
        shmFree(got[1]);
        shmFree(mine);
    }
    close(toParent[0]);
    close(toParent[1]);
}

TEST_F(Shm, ClaimingTheSlotOfALiveProcessIsReported) {
    int toParent[2];
    ASSERT_EQ(pipe(toParent), 0);
    pid_t child = forkChild([&] {
        LogCounter log("also used by live process");
        shmChildInit(0);  // slot 0 belongs to the (live) process that called shmInit
        int warned = kCaches ? log.count() : 1;  // uncached builds claim no slot
        if (shmCaching()) warned = 100;  // two owners of one slot's lists would corrupt them
        void* p = shmAlloc(64);          // the heap still serves
        shmFree(p);
        shmFlushCache();
        return writeAll(toParent[1], &warned, sizeof warned) && p ? 0 : 1;
    });
    int warned = 0;
    ASSERT_TRUE(readAll(toParent[0], &warned, sizeof warned));
    EXPECT_EQ(reap(child), 0);
    EXPECT_EQ(warned, 1);
    close(toParent[0]);
    close(toParent[1]);
}

TEST_F(Shm, DoubleFreeIsReportedAndDoesNotHandOutABlockTwice) {
    void* p = shmAlloc(64);
    ASSERT_NE(p, nullptr);
    shmFree(p);
    {
        LogCounter log("free");
        shmFree(p);
        EXPECT_GE(log.count(), 1);
    }
    void* a = shmAlloc(64);
    void* b = shmAlloc(64);
    EXPECT_NE(a, b);
    shmFree(a);
    shmFree(b);
}

TEST_F(Shm, OtherThreadsBypassTheCacheSafely) {
    constexpr int kOps = 20000;
    auto work = [](uint64_t seed) {
        Rng r{seed};
        struct Block {
            void* p = nullptr;
            size_t n = 0;
        };
        std::vector<Block> live(64);
        bool ok = true;
        for (int i = 0; i < kOps; ++i) {
            auto& s = live[r.next() % live.size()];
            if (s.p) {
                ok &= verify(s.p, s.n, static_cast<uint32_t>(s.n));
                shmFree(s.p);
            }
            s.n = r.uniform(16, 3000);
            s.p = shmAlloc(s.n);
            if (!s.p) return false;
            fill(s.p, s.n, static_cast<uint32_t>(s.n));
        }
        for (auto& s : live) shmFree(s.p);
        return ok;
    };
    bool threadOk = false;
    std::thread t([&] { threadOk = work(1); });
    bool mainOk = work(2);
    t.join();
    EXPECT_TRUE(threadOk);
    EXPECT_TRUE(mainOk);
}

TEST(ShmExhaustion, ReturnsNullLogsOnceAndRecoversAfterFrees) {
    constexpr size_t kSegment = size_t{2} << 20;
    ASSERT_TRUE(shmInit(kSegment));
    std::vector<void*> blocks;
    {
        LogCounter log("shm: out of memory");
        for (int i = 0; i < 100000; ++i) {
            void* p = shmAlloc(4000);
            if (!p) break;
            blocks.push_back(p);
        }
        EXPECT_GT(blocks.size(), 100u);
        EXPECT_LT(blocks.size(), 100000u);
        for (int i = 0; i < 50; ++i) {
            EXPECT_EQ(shmAlloc(4000), nullptr);
            EXPECT_EQ(shmAlloc(100000), nullptr);
        }
        void* first = blocks.front();
        EXPECT_EQ(shmRealloc(first, 500000), nullptr);  // fails, the block stays valid
        fill(first, 4000, 1);
        EXPECT_GE(log.count(), 1);
        EXPECT_LE(log.count(), 2);  // 151 failures, rate-limited to one line per second
    }
    EXPECT_GE(shmStats().failCount, 1u);
    for (void* p : blocks) shmFree(p);
    void* big = shmAlloc(kSegment / 2);
    EXPECT_NE(big, nullptr);
    shmFree(big);
    shmDestroy();
}

TEST(ShmExhaustion, CachedBlocksAreReturnedWhenTheHeapRunsOut) {
    constexpr size_t kSegment = size_t{2} << 20;
    ASSERT_TRUE(shmInit(kSegment));
    // Fill the heap with small blocks, free them all: some stay cached in this process.
    std::vector<void*> blocks;
    for (int i = 0; i < 1000000; ++i) {
        void* p = shmAlloc(48);
        if (!p) break;
        blocks.push_back(p);
    }
    ASSERT_GT(blocks.size(), 1000u);
    for (void* p : blocks) shmFree(p);
    HeapStats st = shmStats();
    // Ask for nearly all of it in one block: possible only once the cache has been handed back.
    size_t want = st.freeBytes - (size_t{64} << 10);
    void* big = shmAlloc(want);
    EXPECT_NE(big, nullptr) << "free " << st.freeBytes << " largest " << st.largestFree;
    shmFree(big);
    shmDestroy();
}

TEST_F(Shm, ReportLiveWritesSomething) {
    void* p = shmAlloc(100);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    shmReportLive(fds[1]);
    close(fds[1]);
    char buf[256];
    ssize_t n = read(fds[0], buf, sizeof buf);
    EXPECT_GT(n, 0);
    close(fds[0]);
    shmFree(p);
}
