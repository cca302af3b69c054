// qm (the quick-debug allocator): fault detection and the live report (shared debug-heap
// cases), call stacks, coalescing, realloc in place, stats, and use from forked processes
// sharing one MAP_SHARED region.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mem/qm/qm_heap.h"
#include "test/unit/mem_debug_faults.h"

namespace osprey::mem::testing {
namespace {

using QmTypes = ::testing::Types<QmHeap<false>, QmHeap<true>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Qm, DebugFaults, QmTypes);
INSTANTIATE_TYPED_TEST_SUITE_P(Qm, DebugStacks, ::testing::Types<QmHeap<true>>);

// Deterministic generator for the randomized cases.
struct SplitMix {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

template <class H>
class QmBasics : public DebugFaults<H> {};
TYPED_TEST_SUITE(QmBasics, QmTypes);

TYPED_TEST(QmBasics, CreateRefusesRegionsTooSmall) {
    alignas(16) static char tiny[256];
    EXPECT_EQ(TypeParam::create(tiny, 64), nullptr);
    EXPECT_EQ(TypeParam::create(nullptr, 1 << 20), nullptr);
}

TYPED_TEST(QmBasics, BlocksAreAlignedAndDistinct) {
    void* z1 = this->heap->alloc(0);
    void* z2 = this->heap->alloc(0);
    ASSERT_NE(z1, nullptr);
    ASSERT_NE(z2, nullptr);
    EXPECT_NE(z1, z2);
    for (size_t n : {1ul, 15ul, 16ul, 17ul, 1023ul, 1024ul, 1025ul, 70000ul}) {
        void* p = this->heap->alloc(n);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kAlign, 0u);
        EXPECT_TRUE(this->heap->owns(p));
        EXPECT_EQ(this->heap->usableSize(p), n);
        this->heap->free(p);
    }
    this->heap->free(z1);
    this->heap->free(z2);
    this->heap->free(nullptr);
    EXPECT_TRUE(this->heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST(QmBasics, FreeingEverythingCoalescesBackToOneFragment) {
    HeapStats before;
    this->heap->stats(before);
    EXPECT_EQ(before.freeFragments, 1u);
    SplitMix rng{42};
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; ++i) {
        void* p = this->heap->alloc(rng.below(3000));
        ASSERT_NE(p, nullptr);
        blocks.push_back(p);
    }
    for (size_t i = blocks.size(); i > 1; --i) std::swap(blocks[i - 1], blocks[rng.below(i)]);
    for (size_t i = 0; i < blocks.size(); ++i) {
        this->heap->free(blocks[i]);
        if (i % 250 == 0) {
            ASSERT_TRUE(this->heap->check());
        }
    }
    HeapStats after;
    this->heap->stats(after);
    EXPECT_EQ(after.freeFragments, 1u);
    EXPECT_EQ(after.largestFree, before.largestFree);
    EXPECT_EQ(after.used, 0u);
    EXPECT_EQ(after.realUsed, 0u);
    EXPECT_EQ(after.allocCount, 2000u);
    EXPECT_EQ(after.freeCount, 2000u);
    EXPECT_GT(after.maxRealUsed, 2000u * 16);
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST(QmBasics, ReallocGrowsInPlaceShrinksAndMovesKeepingContent) {
    // Blocks are carved from the end of free space, so x lies after p; once x is free, p
    // can grow into it.
    void* x = this->heap->alloc(1000);
    auto* p = static_cast<unsigned char*>(this->heap->alloc(100));
    for (int i = 0; i < 100; ++i) p[i] = static_cast<unsigned char>(i);
    this->heap->free(x);
    auto* q = static_cast<unsigned char*>(this->heap->realloc(p, 600));
    EXPECT_EQ(q, p);
    EXPECT_EQ(this->heap->usableSize(q), 600u);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(q[i], i);
    auto* moved = static_cast<unsigned char*>(this->heap->realloc(q, 5000));
    ASSERT_NE(moved, nullptr);
    EXPECT_NE(moved, q);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(moved[i], i);
    auto* shrunk = static_cast<unsigned char*>(this->heap->realloc(moved, 50));
    EXPECT_EQ(shrunk, moved);
    for (int i = 0; i < 50; ++i) ASSERT_EQ(shrunk[i], i);
    HeapStats st;
    this->heap->stats(st);
    EXPECT_EQ(st.used, 50u);
    EXPECT_EQ(this->heap->realloc(shrunk, 0), nullptr);
    void* fresh = this->heap->realloc(nullptr, 30);
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(this->heap->usableSize(fresh), 30u);
    // A request no region can hold fails and leaves the block alone.
    EXPECT_EQ(this->heap->realloc(fresh, size_t{1} << 60), nullptr);
    EXPECT_EQ(this->heap->usableSize(fresh), 30u);
    this->heap->free(fresh);
    EXPECT_TRUE(this->heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST(QmBasics, RandomOperationsKeepContentsAndAccounts) {
    struct Block {
        unsigned char* p;
        size_t n;
        unsigned char tag;
    };
    SplitMix rng{7};
    std::vector<Block> live;
    size_t used = 0;
    auto verify = [](const Block& b) {
        for (size_t i = 0; i < b.n; ++i)
            if (b.p[i] != b.tag) return false;
        return true;
    };
    for (int op = 0; op < 20000; ++op) {
        size_t kind = rng.below(10);
        if (live.size() < 50 || kind < 4) {
            size_t n = rng.below(10) == 0 ? rng.below(20000) : rng.below(300);
            auto* p = static_cast<unsigned char*>(this->heap->alloc(n));
            if (!p) continue;
            unsigned char tag = static_cast<unsigned char>(op);
            memset(p, tag, n);
            live.push_back({p, n, tag});
            used += n;
        } else if (kind < 8) {
            size_t i = rng.below(live.size());
            ASSERT_TRUE(verify(live[i])) << "op " << op;
            this->heap->free(live[i].p);
            used -= live[i].n;
            live[i] = live.back();
            live.pop_back();
        } else {
            Block& b = live[rng.below(live.size())];
            size_t n = 1 + rng.below(4000);  // realloc(p, 0) would free p
            auto* p = static_cast<unsigned char*>(this->heap->realloc(b.p, n));
            if (!p) continue;
            for (size_t i = 0; i < std::min(n, b.n); ++i) ASSERT_EQ(p[i], b.tag) << "op " << op;
            memset(p, b.tag, n);
            used = used - b.n + n;
            b.p = p;
            b.n = n;
        }
        if (op % 2000 == 0) {
            ASSERT_TRUE(this->heap->check()) << "op " << op;
            HeapStats st;
            this->heap->stats(st);
            ASSERT_EQ(st.used, used);
            ASSERT_EQ(st.allocCount - st.freeCount, live.size());
        }
    }
    size_t count = 0;
    liveReportOf(this->heap, &count);
    EXPECT_EQ(count, live.size());
    for (const Block& b : live) {
        ASSERT_TRUE(verify(b));
        this->heap->free(b.p);
    }
    EXPECT_TRUE(this->heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST(QmBasics, ExhaustionFailsCleanlyAndRecovers) {
    std::vector<void*> blocks;
    for (int i = 0; i < 100000; ++i) {
        void* p = this->heap->alloc(60000);
        if (!p) break;
        blocks.push_back(p);
    }
    ASSERT_GT(blocks.size(), 10u);
    ASSERT_LT(blocks.size(), 100000u);
    EXPECT_EQ(this->heap->alloc(60000), nullptr);
    EXPECT_EQ(this->heap->alloc(size_t{1} << 62), nullptr);
    HeapStats st;
    this->heap->stats(st);
    EXPECT_GE(st.failCount, 3u);
    EXPECT_LE(st.realUsed, st.total);
    // Small blocks still fit in the tail that 60000 could not use.
    void* small = this->heap->alloc(16);
    for (void* p : blocks) this->heap->free(p);
    this->heap->free(small);
    this->heap->stats(st);
    EXPECT_EQ(st.freeFragments, 1u);
    EXPECT_TRUE(this->heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST(QmBasics, CheckStopsAtADestroyedHeader) {
    auto* first = static_cast<char*>(this->heap->alloc(32));
    auto* second = static_cast<char*>(this->heap->alloc(32));
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    char* a = std::min(first, second);  // the lower block
    char* b = std::max(first, second);
    // Overrun a far enough to flatten b's header: check() must say so, not crash or loop.
    std::vector<char> saved(static_cast<size_t>(b - a));
    memcpy(saved.data(), a, saved.size());
    memset(a, 0, saved.size());
    EXPECT_FALSE(this->heap->check());
    EXPECT_FALSE(capturedLines().empty());
    capturedLines().clear();
    // b's record is gone: freeing it is refused with a clear line, and nothing crashes.
    this->heap->free(b);
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("corrupted"), std::string::npos) << line;
    memcpy(a, saved.data(), saved.size());
    EXPECT_TRUE(this->heap->check());
    this->heap->free(a);
    this->heap->free(b);
    EXPECT_TRUE(capturedLines().empty());
}

// A heap in a MAP_SHARED region is used by a forked child: it frees a parent's block and
// leaves one of its own, which the parent's report names and the parent frees.
TYPED_TEST(QmBasics, SharedRegionWorksAcrossFork) {
    HeapRegion<TypeParam> shared(1 << 20, MAP_SHARED | MAP_ANONYMOUS);
    TypeParam* heap = shared.heap();
    ASSERT_NE(heap, nullptr);
    void* parentBlock = heap->alloc(500);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const int childLine = __LINE__ + 5;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        heap->free(parentBlock);
        void* mine = heap->alloc(777);
        bool ok = mine && heap->check() && write(fds[1], &mine, sizeof mine) == sizeof mine;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    void* childBlock = nullptr;
    EXPECT_EQ(read(fds[0], &childBlock, sizeof childBlock),
              static_cast<ssize_t>(sizeof childBlock));
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(heap->owns(childBlock));
    EXPECT_EQ(heap->usableSize(childBlock), 777u);
    size_t live = 0;
    std::string report = liveReportOf(heap, &live);
    EXPECT_EQ(live, 1u);
    EXPECT_NE(report.find("777 bytes in 1 fragment allocated at " + siteText(__FILE__, childLine)),
              std::string::npos)
        << report;
    heap->free(childBlock);
    EXPECT_TRUE(heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

}  // namespace
}  // namespace osprey::mem::testing
