// What the fast allocator promises beyond the common contract (mem_conformance_test): exact
// LIFO classes for small sizes, segregated fit for large ones (no size-sorted lists), one free
// block after everything is freed, in-place realloc, exact stats.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mem/fm/fm_heap.h"

namespace osprey::mem {
namespace {

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class FmHeapTest : public ::testing::Test {
protected:
    void make(size_t bytes) {
        release();
        bytes_ = bytes;
        region_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(region_, MAP_FAILED);
        heap_ = FmHeap::create(region_, bytes);
        ASSERT_NE(heap_, nullptr);
        heap_->stats(base_);
    }
    void SetUp() override { make(size_t{16} << 20); }
    void TearDown() override { release(); }
    void release() {
        if (region_ != MAP_FAILED) munmap(region_, bytes_);
        region_ = MAP_FAILED;
    }
    HeapStats stats() const {
        HeapStats s;
        heap_->stats(s);
        return s;
    }

    void* region_ = MAP_FAILED;
    size_t bytes_ = 0;
    FmHeap* heap_ = nullptr;
    HeapStats base_;
};

TEST(FmSizeClasses, EveryBlockSizeMapsToTheClassThatBoundsIt) {
    for (size_t s = fm::kMinBlock; s < (size_t{1} << 24); s += (s < 65536 ? 16 : s / 61 & ~15)) {
        unsigned c = fm::classOf(s);
        ASSERT_LT(c, fm::kClasses);
        EXPECT_LE(fm::classFloor(c), s) << s;
        if (c + 1 < fm::kClasses) {
            EXPECT_GT(fm::classFloor(c + 1), s) << s;
        }
        EXPECT_EQ(fm::classOf(fm::classFloor(c)), c) << s;
    }
    EXPECT_LT(fm::classOf(fm::kMaxBlock), fm::kClasses);
    // Below 4 KiB each class is one exact size.
    for (size_t s = fm::kMinBlock; s < fm::kSmallLimit; s += 16) {
        EXPECT_EQ(fm::classFloor(fm::classOf(s)), s);
    }
    // Above, a class spans less than 1/32 of its sizes.
    for (unsigned c = fm::kSmallClasses; c + 1 < fm::kClasses; ++c) {
        size_t lo = fm::classFloor(c), hi = fm::classFloor(c + 1);
        ASSERT_GT(hi, lo);
        EXPECT_LE((hi - lo) * 32, lo) << c;
    }
}

TEST_F(FmHeapTest, SmallClassesAreLastInFirstOut) {
    for (size_t n : {48, 64, 112, 240, 480, 1000, 2024}) {
        if (fm::blockSizeFor(n) >= fm::kCacheLimit) continue;  // those merge when freed
        void* a = heap_->alloc(n);
        void* pinA = heap_->alloc(16);  // keeps a, b from coalescing
        void* b = heap_->alloc(n);
        void* pinB = heap_->alloc(16);
        ASSERT_TRUE(a && b && pinA && pinB);
        heap_->free(a);
        heap_->free(b);
        EXPECT_EQ(heap_->alloc(n), b) << n;
        EXPECT_EQ(heap_->alloc(n), a) << n;
        heap_->free(a);
        heap_->free(b);
        heap_->free(pinA);
        heap_->free(pinB);
    }
    heap_->consolidate();
    EXPECT_EQ(stats().freeFragments, 1u);
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(FmHeapTest, StatsAreExact) {
    std::vector<void*> live;
    uint64_t seed = 42;
    for (int i = 0; i < 500; ++i) live.push_back(heap_->alloc(splitmix(seed) % 9000));
    for (size_t i = 0; i < live.size(); i += 3) {
        heap_->free(live[i]);
        live[i] = nullptr;
    }
    size_t usable = 0, count = 0;
    for (void* p : live) {
        if (!p) continue;
        usable += heap_->usableSize(p);
        ++count;
    }
    HeapStats s = stats();
    EXPECT_EQ(s.used, usable);
    EXPECT_EQ(s.realUsed, usable + fm::kHeader * count + base_.realUsed);
    EXPECT_EQ(s.freeBytes, s.total - s.realUsed);
    EXPECT_EQ(s.allocCount - s.freeCount, count);
    EXPECT_TRUE(heap_->checkIntegrity());
    for (void* p : live) heap_->free(p);
    heap_->consolidate();
    s = stats();
    EXPECT_EQ(s.used, 0u);
    EXPECT_EQ(s.realUsed, base_.realUsed);
    EXPECT_EQ(s.freeFragments, 1u);
    EXPECT_EQ(s.largestFree, base_.largestFree);
}

TEST_F(FmHeapTest, ThousandsOfNearEqualLargeBlocksAreFreedAndReused) {
    // The f_malloc failure mode: many free blocks of about the same large size. Pins keep the
    // freed blocks apart, so each one is filed on its own.
    make(size_t{160} << 20);
    constexpr size_t kCount = 3000;
    uint64_t seed = 7;
    std::vector<size_t> sizes;
    std::vector<void*> big, pins;
    for (size_t i = 0; i < kCount; ++i) {
        sizes.push_back(33000 + splitmix(seed) % 7001);
        void* p = heap_->alloc(sizes.back());
        ASSERT_NE(p, nullptr) << i;
        static_cast<char*>(p)[0] = static_cast<char>(i);
        big.push_back(p);
        pins.push_back(heap_->alloc(64));
        ASSERT_NE(pins.back(), nullptr);
    }
    HeapStats full = stats();
    for (void* p : big) heap_->free(p);
    HeapStats freed = stats();
    EXPECT_EQ(freed.freeFragments, kCount + 1);  // every hole, plus the untouched tail
    EXPECT_TRUE(heap_->checkIntegrity());

    // The same sizes again, in another order: the holes serve nearly all of them.
    for (size_t i = kCount - 1; i > 0; --i) std::swap(sizes[i], sizes[splitmix(seed) % (i + 1)]);
    size_t fromHoles = 0;
    char* tail = static_cast<char*>(pins.back());
    for (size_t i = 0; i < kCount; ++i) {
        void* p = heap_->alloc(sizes[i]);
        ASSERT_NE(p, nullptr) << i;
        if (static_cast<char*>(p) < tail) ++fromHoles;
        big[i] = p;
    }
    EXPECT_GE(fromHoles, kCount * 9 / 10);
    EXPECT_LE(stats().realUsed, full.realUsed + full.realUsed / 10);
    EXPECT_TRUE(heap_->checkIntegrity());
    for (void* p : big) heap_->free(p);
    for (void* p : pins) heap_->free(p);
    heap_->consolidate();
    HeapStats end = stats();
    EXPECT_EQ(end.freeFragments, 1u);
    EXPECT_EQ(end.realUsed, base_.realUsed);
    EXPECT_EQ(end.largestFree, base_.largestFree);
}

TEST_F(FmHeapTest, FreeingInAnyOrderCoalescesIntoOneBlock) {
    uint64_t seed = 99;
    std::vector<void*> blocks;
    for (int i = 0; i < 4000; ++i) {
        size_t r = splitmix(seed) % 100;
        size_t n = r < 70 ? splitmix(seed) % 300 : r < 95 ? splitmix(seed) % 4000 : 30000;
        blocks.push_back(heap_->alloc(n));
        ASSERT_NE(blocks.back(), nullptr);
    }
    for (size_t i = blocks.size() - 1; i > 0; --i) {
        std::swap(blocks[i], blocks[splitmix(seed) % (i + 1)]);
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
        heap_->free(blocks[i]);
        if (i % 500 == 0) {
            ASSERT_TRUE(heap_->checkIntegrity()) << i;
        }
    }
    heap_->consolidate();
    HeapStats s = stats();
    EXPECT_EQ(s.freeFragments, 1u);
    EXPECT_EQ(s.largestFree, base_.largestFree);
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(FmHeapTest, HolesAreReusedBeforeTheUntouchedTail) {
    void* big = heap_->alloc(100000);
    void* pin = heap_->alloc(16);
    ASSERT_TRUE(big && pin);
    heap_->free(big);
    // Small requests split the hole instead of eating into the tail.
    char* lo = static_cast<char*>(big);
    std::vector<void*> smalls;
    for (int i = 0; i < 100; ++i) {
        void* p = heap_->alloc(500);
        ASSERT_NE(p, nullptr);
        EXPECT_GE(static_cast<char*>(p), lo);
        EXPECT_LT(static_cast<char*>(p), lo + 100000);
        smalls.push_back(p);
    }
    EXPECT_TRUE(heap_->checkIntegrity());
    for (void* p : smalls) heap_->free(p);
    heap_->free(pin);
    heap_->consolidate();
    EXPECT_EQ(stats().freeFragments, 1u);
}

TEST_F(FmHeapTest, ReallocGrowsInPlaceWhenTheNeighbourIsFree) {
    void* last = heap_->alloc(100);  // followed by the untouched tail
    ASSERT_NE(last, nullptr);
    memset(last, 0x5a, 100);
    EXPECT_EQ(heap_->realloc(last, 20000), last);
    EXPECT_GE(heap_->usableSize(last), 20000u);
    EXPECT_EQ(static_cast<unsigned char*>(last)[99], 0x5a);

    void* a = heap_->alloc(1000);
    void* b = heap_->alloc(3000);
    void* pin = heap_->alloc(16);
    ASSERT_TRUE(a && b && pin);
    heap_->free(b);
    EXPECT_EQ(heap_->realloc(a, 3500), a);   // takes part of b's block
    EXPECT_EQ(heap_->realloc(a, 4000), a);   // and the rest of it
    EXPECT_NE(heap_->realloc(a, 9000), a);   // now it has to move
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(FmHeapTest, ReallocShrinkGivesTheTailBack) {
    void* p = heap_->alloc(200000);
    void* pin = heap_->alloc(16);
    ASSERT_TRUE(p && pin);
    HeapStats before = stats();
    EXPECT_EQ(heap_->realloc(p, 100), p);
    HeapStats after = stats();
    EXPECT_LT(after.used, before.used - 190000);
    EXPECT_EQ(after.freeFragments, before.freeFragments + 1);
    EXPECT_GE(after.largestFree, before.largestFree);
    void* q = heap_->alloc(150000);  // fits into the returned tail
    EXPECT_GT(static_cast<char*>(q), static_cast<char*>(p));
    EXPECT_LT(static_cast<char*>(q), static_cast<char*>(pin));
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(FmHeapTest, SmallFreesArePushedAndMergedOnlyByConsolidate) {
    void* a = heap_->alloc(100);
    void* b = heap_->alloc(100);
    void* c = heap_->alloc(100);
    ASSERT_TRUE(a && b && c);
    heap_->free(a);
    heap_->free(b);
    HeapStats cached = stats();
    EXPECT_EQ(cached.freeFragments, 3u);  // a, b and the tail: pushed, not merged
    EXPECT_EQ(cached.used, heap_->usableSize(c));
    EXPECT_TRUE(heap_->checkIntegrity());
    heap_->consolidate();
    EXPECT_EQ(stats().freeFragments, 2u);  // a+b, and the tail
    EXPECT_TRUE(heap_->checkIntegrity());
    void* ab = heap_->alloc(200);  // fits only into the merged a+b
    EXPECT_EQ(ab, a);
    heap_->free(ab);
    heap_->free(c);
    heap_->consolidate();
    EXPECT_EQ(stats().freeFragments, 1u);
    EXPECT_EQ(stats().largestFree, base_.largestFree);
}

TEST_F(FmHeapTest, AllocationMergesCachedBlocksBeforeFailing) {
    // Fill the heap with small blocks, free them all (cached, unmerged), then ask for most of
    // the heap: the allocation has to consolidate to succeed.
    std::vector<void*> blocks;
    void* p;
    while (blocks.size() < 200000 && (p = heap_->alloc(100)) != nullptr) blocks.push_back(p);
    while (blocks.size() < 300000 && (p = heap_->alloc(0)) != nullptr) blocks.push_back(p);
    ASSERT_GT(blocks.size(), 1000u);
    EXPECT_EQ(stats().freeFragments, 0u);
    EXPECT_EQ(stats().largestFree, 0u);
    EXPECT_TRUE(heap_->checkIntegrity());
    for (size_t i = 0; i < blocks.size(); i += 2) heap_->free(blocks[i]);
    for (size_t i = 1; i < blocks.size(); i += 2) heap_->free(blocks[i]);
    EXPECT_EQ(stats().freeFragments, blocks.size());
    EXPECT_TRUE(heap_->checkIntegrity());
    void* big = heap_->alloc(base_.largestFree / 2);
    ASSERT_NE(big, nullptr);
    EXPECT_TRUE(heap_->checkIntegrity());
    heap_->free(big);
    EXPECT_EQ(stats().freeFragments, 1u);
    EXPECT_EQ(stats().largestFree, base_.largestFree);
}

TEST_F(FmHeapTest, StressOnASmallHeapKeepsEveryInvariant) {
    // A heap small enough that allocations fail and consolidate often, with every mix of
    // cached, proper and top neighbours; the structure is checked all along.
    make(size_t{1} << 20);
    struct Live {
        unsigned char* p = nullptr;
        size_t n = 0;
        unsigned char tag = 0;
    };
    std::vector<Live> slots(400);
    uint64_t seed = 2024;
    size_t fails = 0;
    for (int op = 0; op < 60000; ++op) {
        Live& s = slots[splitmix(seed) % slots.size()];
        uint64_t r = splitmix(seed) % 100;
        size_t n = r < 60 ? splitmix(seed) % 200 : r < 90 ? splitmix(seed) % 5000 : splitmix(seed) % 40000;
        if (!s.p) {
            s.p = static_cast<unsigned char*>(heap_->alloc(n));
            if (!s.p) {
                ++fails;
                continue;
            }
            s.n = n;
            s.tag = static_cast<unsigned char>(op);
            memset(s.p, s.tag, n);
        } else {
            for (size_t i = 0; i < s.n; i += 61) ASSERT_EQ(s.p[i], s.tag) << "op " << op;
            if (r % 4 == 0 && n > 0) {  // (realloc to 0 would free)
                auto* q = static_cast<unsigned char*>(heap_->realloc(s.p, n));
                if (!q) {
                    ++fails;
                    continue;
                }
                for (size_t i = 0; i < std::min(n, s.n); i += 61) ASSERT_EQ(q[i], s.tag);
                s.p = q;
                s.n = n;
                memset(s.p, s.tag, n);
            } else {
                heap_->free(s.p);
                s = {};
            }
        }
        if (op % 1000 == 0) {
            ASSERT_TRUE(heap_->checkIntegrity()) << "op " << op;
        }
        if (op % 7919 == 0) heap_->consolidate();
    }
    EXPECT_GT(fails, 0u);  // the heap really was under pressure
    for (Live& s : slots) heap_->free(s.p);
    heap_->consolidate();
    EXPECT_TRUE(heap_->checkIntegrity());
    EXPECT_EQ(stats().freeFragments, 1u);
    EXPECT_EQ(stats().realUsed, base_.realUsed);
}

TEST_F(FmHeapTest, InteriorPointersAreRejected) {
    void* p = heap_->alloc(4000);
    ASSERT_NE(p, nullptr);
    memset(p, 0, 4000);
    HeapStats before = stats();
    heap_->free(static_cast<char*>(p) + 16);    // aligned, but a zeroed tag: not a block
    heap_->free(static_cast<char*>(p) + 4);     // misaligned
    heap_->free(static_cast<char*>(region_));   // the control block
    HeapStats after = stats();
    EXPECT_EQ(after.freeCount, before.freeCount);
    EXPECT_EQ(after.realUsed, before.realUsed);
    EXPECT_TRUE(heap_->checkIntegrity());
    heap_->free(p);
    heap_->consolidate();
    EXPECT_EQ(stats().freeFragments, 1u);
}

} // namespace
} // namespace osprey::mem
