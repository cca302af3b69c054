// What the TLSF allocator promises beyond the common contract (mem_conformance_test): the
// two-level mapping, immediate coalescing into one block, near-equal large blocks handled by
// segregated lists, and the good-fit fallback when rounding up finds nothing.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mem/tlsf/tlsf_heap.h"

namespace osprey::mem {
namespace {

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Smallest block size filed under list (fl, sl).
size_t listFloor(tlsf::Index i) {
    if (i.fl == 0) return size_t{i.sl} << tlsf::kAlignLog2;
    unsigned log2 = i.fl + tlsf::kFlShift - 1;
    return (size_t{1} << log2) + (size_t{i.sl} << (log2 - tlsf::kSlLog2));
}
size_t order(tlsf::Index i) { return size_t{i.fl} * tlsf::kSlCount + i.sl; }

class TlsfHeapTest : public ::testing::Test {
protected:
    void make(size_t bytes) {
        release();
        bytes_ = bytes;
        region_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(region_, MAP_FAILED);
        heap_ = TlsfHeap::create(region_, bytes);
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
    TlsfHeap* heap_ = nullptr;
    HeapStats base_;
};

TEST(TlsfMapping, InsertBoundsTheSizeAndSearchRoundsUp) {
    size_t prevOrder = 0;
    for (size_t s = tlsf::kMinBlock; s < (size_t{1} << 30); s += (s < 8192 ? 16 : s / 57 & ~15)) {
        tlsf::Index in = tlsf::mappingInsert(s);
        ASSERT_LT(in.fl, tlsf::kFlCount);
        ASSERT_LT(in.sl, tlsf::kSlCount);
        EXPECT_LE(listFloor(in), s) << s;
        EXPECT_GE(order(in), prevOrder) << s;  // the mapping is monotonic
        prevOrder = order(in);
        // Every block in the searched list is big enough, and the list is at most one step up.
        tlsf::Index se = tlsf::mappingSearch(s);
        EXPECT_GE(listFloor(se), s) << s;
        EXPECT_LE(order(se), order(in) + 1) << s;
    }
    // Below 512 bytes the lists are exact 16-byte sizes.
    for (size_t s = tlsf::kMinBlock; s < tlsf::kSmallBlock; s += 16) {
        EXPECT_EQ(listFloor(tlsf::mappingInsert(s)), s);
        EXPECT_EQ(order(tlsf::mappingSearch(s)), order(tlsf::mappingInsert(s)));
    }
    EXPECT_LT(tlsf::mappingInsert(tlsf::kMaxBlock).fl, tlsf::kFlCount);
}

TEST_F(TlsfHeapTest, ExactSmallListsReuseTheSameBlock) {
    for (size_t n : {0, 48, 64, 112, 240, 480}) {
        void* a = heap_->alloc(n);
        void* pin = heap_->alloc(16);
        ASSERT_TRUE(a && pin);
        heap_->free(a);
        EXPECT_EQ(heap_->alloc(n), a) << n;
        heap_->free(a);
        heap_->free(pin);
    }
    EXPECT_EQ(stats().freeFragments, 1u);
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(TlsfHeapTest, FreeingInAnyOrderCoalescesIntoOneBlock) {
    uint64_t seed = 5;
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
    HeapStats s = stats();
    EXPECT_EQ(s.freeFragments, 1u);
    EXPECT_EQ(s.largestFree, base_.largestFree);
    EXPECT_EQ(s.realUsed, base_.realUsed);
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(TlsfHeapTest, ThousandsOfNearEqualLargeBlocksAreFreedAndReused) {
    make(size_t{160} << 20);
    constexpr size_t kCount = 3000;
    uint64_t seed = 11;
    std::vector<size_t> sizes;
    std::vector<void*> big, pins;
    for (size_t i = 0; i < kCount; ++i) {
        sizes.push_back(33000 + splitmix(seed) % 7001);
        big.push_back(heap_->alloc(sizes.back()));
        pins.push_back(heap_->alloc(64));
        ASSERT_TRUE(big.back() && pins.back()) << i;
    }
    for (void* p : big) heap_->free(p);
    EXPECT_EQ(stats().freeFragments, kCount + 1);
    EXPECT_TRUE(heap_->checkIntegrity());

    // Reallocating every size works; holes in higher lists serve most requests.
    for (size_t i = kCount - 1; i > 0; --i) std::swap(sizes[i], sizes[splitmix(seed) % (i + 1)]);
    size_t fromHoles = 0;
    char* tail = static_cast<char*>(pins.back());
    for (size_t i = 0; i < kCount; ++i) {
        big[i] = heap_->alloc(sizes[i]);
        ASSERT_NE(big[i], nullptr) << i;
        if (static_cast<char*>(big[i]) < tail) ++fromHoles;
    }
    EXPECT_GE(fromHoles, kCount / 2);
    EXPECT_TRUE(heap_->checkIntegrity());
    for (void* p : big) heap_->free(p);
    for (void* p : pins) heap_->free(p);
    EXPECT_EQ(stats().freeFragments, 1u);
    EXPECT_EQ(stats().realUsed, base_.realUsed);
}

TEST_F(TlsfHeapTest, FallsBackToTheRequestsOwnListWhenRoundingUpFindsNothing) {
    // One hole of 40000 bytes, everything else in use: a request a little smaller rounds up
    // past the hole's list, and must still get the hole.
    make(size_t{1} << 20);
    void* hole = heap_->alloc(40000);
    ASSERT_NE(hole, nullptr);
    std::vector<void*> fill;
    void* p;
    while (fill.size() < 100000 && (p = heap_->alloc(0)) != nullptr) fill.push_back(p);
    EXPECT_EQ(stats().freeFragments, 0u);
    heap_->free(hole);
    EXPECT_EQ(stats().largestFree, heap_->usableSize(hole));
    void* again = heap_->alloc(39900);
    EXPECT_EQ(again, hole);
    EXPECT_EQ(heap_->alloc(40000 + 64), nullptr);
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(TlsfHeapTest, ReallocUsesTheFreeNeighbourInPlace) {
    void* a = heap_->alloc(1000);
    void* b = heap_->alloc(3000);
    void* pin = heap_->alloc(16);
    ASSERT_TRUE(a && b && pin);
    memset(a, 0x33, 1000);
    heap_->free(b);
    EXPECT_EQ(heap_->realloc(a, 3900), a);
    EXPECT_EQ(static_cast<unsigned char*>(a)[999], 0x33);
    EXPECT_EQ(heap_->realloc(a, 200), a);  // shrinking splits the tail off
    EXPECT_EQ(stats().freeFragments, 2u);  // the tail (merged with b's rest) and the rest of the heap
    EXPECT_TRUE(heap_->checkIntegrity());
}

TEST_F(TlsfHeapTest, StatsAreExact) {
    std::vector<void*> live;
    uint64_t seed = 3;
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
    EXPECT_EQ(s.realUsed, usable + tlsf::kHeader * count + base_.realUsed);
    EXPECT_EQ(s.allocCount - s.freeCount, count);
    EXPECT_TRUE(heap_->checkIntegrity());
}

} // namespace
} // namespace osprey::mem
