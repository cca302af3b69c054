// The allocator contract of mem/heap_concept.h, checked against every allocator: fm, tlsf,
// and (once they exist) qm with and without debug records, and the debug wrapper over fm
// and tlsf. Allocator-specific behaviour is tested in mem_fm_test / mem_tlsf_test.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mem/fm/fm_heap.h"
#include "mem/heap_concept.h"
#include "mem/heap_extras.h"
#include "mem/mem_log.h"
#include "mem/tlsf/tlsf_heap.h"

// OSPREY_CONFORMANCE_OWN_ONLY leaves qm and the debug wrapper out (while they are rebuilt).
#if __has_include("mem/qm/qm_heap.h") && !defined(OSPREY_CONFORMANCE_OWN_ONLY)
#include "mem/qm/qm_heap.h"
#define OSPREY_TEST_QM 1
#endif
#if __has_include("mem/debug/debug_heap.h") && !defined(OSPREY_CONFORMANCE_OWN_ONLY)
#include "mem/debug/debug_heap.h"
#define OSPREY_TEST_DEBUG_HEAP 1
#endif

namespace osprey::mem {
namespace {

// Counts what the heaps report through memLog, so a test can tell a bad pointer was noticed.
std::atomic<int> g_logged{0};
void countingSink(int, const char*) { g_logged.fetch_add(1); }

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A pattern derived from the block id, so overlapping blocks or stray writes show up.
uint8_t patternByte(uint64_t id, size_t i) {
    return static_cast<uint8_t>((id * 0x9E3779B1u) ^ (i * 131u) ^ (i >> 9));
}
void fill(void* p, size_t n, uint64_t id) {
    auto* b = static_cast<uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) b[i] = patternByte(id, i);
}
bool intact(const void* p, size_t n, uint64_t id) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) {
        if (b[i] != patternByte(id, i)) return false;
    }
    return true;
}

// Heaps that defer merging small free blocks (fm) merge them now; a wrapper (DebugHeap)
// passes it on to the heap inside.
template <class H>
void consolidate(H* h) {
    if constexpr (requires { h->consolidate(); }) {
        h->consolidate();
    } else if constexpr (requires { h->inner(); }) {
        consolidate(h->inner());
    }
}

template <class H>
class HeapConformance : public ::testing::Test {
protected:
    static constexpr size_t kRegion = size_t{8} << 20;

    void SetUp() override {
        setLogSink(countingSink);
        region_ = mmap(nullptr, kRegion, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        ASSERT_NE(region_, MAP_FAILED);
        heap_ = H::create(region_, kRegion);
        ASSERT_NE(heap_, nullptr);
        base_ = stats();
    }
    void TearDown() override {
        if (region_ != MAP_FAILED) munmap(region_, kRegion);
        setLogSink(nullptr);
    }

    HeapStats stats() const {
        HeapStats s;
        heap_->stats(s);
        return s;
    }
    // Heaps that can walk their own structures are asked to; others pass trivially.
    bool consistent() const { return heapConsistent(*heap_); }
    void settle() { consolidate(heap_); }
    // After everything is freed: counters, free space and (once merged) fragments as new.
    void expectBaseline() {
        settle();
        HeapStats s = stats();
        EXPECT_EQ(s.used, base_.used);
        EXPECT_EQ(s.realUsed, base_.realUsed);
        EXPECT_EQ(s.freeBytes, base_.freeBytes);
        EXPECT_EQ(s.freeFragments, base_.freeFragments);
        EXPECT_EQ(s.largestFree, base_.largestFree);
        EXPECT_EQ(s.allocCount - s.freeCount, base_.allocCount - base_.freeCount);
        EXPECT_TRUE(consistent());
    }

    void* region_ = MAP_FAILED;
    H* heap_ = nullptr;
    HeapStats base_;
};

using Heaps = ::testing::Types<FmHeap, TlsfHeap
#ifdef OSPREY_TEST_QM
                               ,
                               QmHeap<false>, QmHeap<true>
#endif
#ifdef OSPREY_TEST_DEBUG_HEAP
                               ,
                               DebugHeap<FmHeap>, DebugHeap<TlsfHeap>
#endif
                               >;

class HeapNames {
public:
    template <class H>
    static std::string GetName(int i) {
        std::string n = std::string(H::kName) + std::to_string(i);
        for (char& c : n) {
            if (!isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return n;
    }
};
TYPED_TEST_SUITE(HeapConformance, Heaps, HeapNames);

TYPED_TEST(HeapConformance, SatisfiesTheConcept) {
    static_assert(Heap<TypeParam>);
    EXPECT_STRNE(TypeParam::kName, "");
}

TYPED_TEST(HeapConformance, RefusesARegionTooSmall) {
    alignas(16) static char tiny[64];
    EXPECT_EQ(TypeParam::create(tiny, sizeof tiny), nullptr);
    EXPECT_EQ(TypeParam::create(tiny, 0), nullptr);
}

TYPED_TEST(HeapConformance, FreshHeapOffersAlmostTheWholeRegion) {
    const HeapStats& s = this->base_;
    EXPECT_LE(s.total, this->kRegion);
    EXPECT_GE(s.total, this->kRegion * 3 / 4);
    EXPECT_EQ(s.freeBytes, s.total - s.realUsed);
    EXPECT_LE(s.largestFree, s.freeBytes);
    EXPECT_GE(s.largestFree, this->kRegion * 3 / 4);
    EXPECT_EQ(s.allocCount, 0u);
    EXPECT_GE(s.freeFragments, 1u);
}

TYPED_TEST(HeapConformance, BlocksAre16ByteAlignedAndUsable) {
    std::vector<void*> blocks;
    std::vector<size_t> sizes;
    for (size_t n = 0; n <= 1100; ++n) sizes.push_back(n);
    for (size_t n = 1024; n <= (size_t{1} << 20); n *= 2) {
        sizes.insert(sizes.end(), {n - 1, n, n + 1, n + 15, n + 17});
    }
    uint64_t id = 0;
    for (size_t n : sizes) {
        void* p = this->heap_->alloc(n);
        ASSERT_NE(p, nullptr) << "size " << n;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kAlign, 0u) << "size " << n;
        EXPECT_GE(this->heap_->usableSize(p), n);
        EXPECT_TRUE(this->heap_->owns(p));
        fill(p, this->heap_->usableSize(p), id++);
        blocks.push_back(p);
        if (blocks.size() > 4) {  // a bounded live set, so the 1 MiB sizes fit too
            size_t qid = blocks.size() - 5;
            void* q = blocks[qid];
            ASSERT_TRUE(intact(q, this->heap_->usableSize(q), qid));
            this->heap_->free(q);
            blocks[qid] = nullptr;
        }
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
        if (!blocks[i]) continue;
        ASSERT_TRUE(intact(blocks[i], this->heap_->usableSize(blocks[i]), i));
        this->heap_->free(blocks[i]);
    }
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, ZeroSizeGivesDistinctBlocks) {
    void* a = this->heap_->alloc(0);
    void* b = this->heap_->alloc(0);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a, b);
    this->heap_->free(a);
    this->heap_->free(b);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, SmallToNearlyTheWholeRegion) {
    const size_t sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 240, 480, 2024,
                            4095, 4096, 4097, 9664, 36000, 65536, 1 << 20, 3 << 20};
    for (size_t n : sizes) {
        void* p = this->heap_->alloc(n);
        ASSERT_NE(p, nullptr) << "size " << n;
        fill(p, n, n);
        EXPECT_TRUE(intact(p, n, n));
        this->heap_->free(p);
    }
    // The largest free block the heap reports is one it can hand out.
    size_t largest = this->stats().largestFree;
    void* big = this->heap_->alloc(largest);
    ASSERT_NE(big, nullptr) << "largestFree " << largest;
    EXPECT_GE(this->heap_->usableSize(big), largest);
    static_cast<char*>(big)[0] = 1;
    static_cast<char*>(big)[largest - 1] = 2;
    this->heap_->free(big);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, RequestsBeyondTheRegionFail) {
    const size_t tooBig[] = {this->kRegion, this->kRegion * 2, this->base_.largestFree + 65536,
                             SIZE_MAX, SIZE_MAX - 8, SIZE_MAX / 2, size_t{1} << 60};
    uint64_t fails = this->base_.failCount;
    for (size_t n : tooBig) {
        EXPECT_EQ(this->heap_->alloc(n), nullptr) << "size " << n;
        EXPECT_EQ(this->stats().failCount, ++fails);
    }
    void* p = this->heap_->alloc(100);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(this->heap_->realloc(p, SIZE_MAX - 4), nullptr);
    this->heap_->free(p);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, ReallocGrowsAndShrinksKeepingContent) {
    auto* h = this->heap_;
    void* p = h->realloc(nullptr, 40);  // realloc(nullptr, n) == alloc(n)
    ASSERT_NE(p, nullptr);
    EXPECT_GE(h->usableSize(p), 40u);
    fill(p, 40, 7);
    size_t n = 40;
    std::vector<void*> neighbours;
    for (size_t next = 64; next <= (size_t{1} << 20); next = next * 3 / 2) {
        // A neighbour allocated after each step makes some steps move the block.
        neighbours.push_back(h->alloc(next % 200));
        void* q = h->realloc(p, next);
        ASSERT_NE(q, nullptr) << "grow to " << next;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % kAlign, 0u);
        EXPECT_GE(h->usableSize(q), next);
        ASSERT_TRUE(intact(q, n, 7)) << "grow to " << next;
        fill(q, next, 7);
        p = q;
        n = next;
    }
    for (size_t next = n / 3; next >= 10; next /= 3) {
        void* q = h->realloc(p, next);
        ASSERT_NE(q, nullptr) << "shrink to " << next;
        ASSERT_TRUE(intact(q, next, 7)) << "shrink to " << next;
        p = q;
    }
    EXPECT_TRUE(this->consistent());
    EXPECT_EQ(h->realloc(p, 0), nullptr);  // frees p
    for (void* q : neighbours) h->free(q);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, FailedReallocLeavesTheBlockAlone) {
    auto* h = this->heap_;
    void* p = h->alloc(1000);
    ASSERT_NE(p, nullptr);
    fill(p, 1000, 3);
    EXPECT_EQ(h->realloc(p, this->kRegion * 2), nullptr);
    ASSERT_TRUE(intact(p, 1000, 3));
    EXPECT_GE(h->usableSize(p), 1000u);
    h->free(p);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, ExhaustionFailsCleanlyAndRecovers) {
    auto* h = this->heap_;
    std::vector<void*> blocks;
    const size_t kBlock = 1000;
    const size_t limit = this->kRegion / kBlock + 16;  // bounds the loop if nothing ever fails
    void* p = nullptr;
    while (blocks.size() < limit && (p = h->alloc(kBlock)) != nullptr) {
        fill(p, kBlock, blocks.size());
        blocks.push_back(p);
    }
    ASSERT_EQ(p, nullptr) << "the heap never ran out";
    ASSERT_GT(blocks.size(), this->kRegion / kBlock / 2);
    HeapStats full = this->stats();
    EXPECT_GE(full.failCount, 1u);
    EXPECT_LT(full.largestFree, kBlock);
    EXPECT_EQ(h->alloc(kBlock), nullptr);  // still full, still no crash

    // Freeing one block makes room for one more of the same size.
    void* last = blocks.back();
    blocks.pop_back();
    h->free(last);
    void* again = h->alloc(kBlock);
    ASSERT_NE(again, nullptr);
    fill(again, kBlock, blocks.size());
    blocks.push_back(again);

    for (size_t i = 0; i < blocks.size(); ++i) {
        ASSERT_TRUE(intact(blocks[i], kBlock, i)) << "block " << i;
        h->free(blocks[i]);
    }
    this->expectBaseline();
    void* big = h->alloc(this->kRegion / 2);  // memory freed block by block is whole again
    EXPECT_NE(big, nullptr);
    h->free(big);
}

TYPED_TEST(HeapConformance, StatsTrackEveryBlock) {
    auto* h = this->heap_;
    const HeapStats base = this->base_;
    std::vector<void*> blocks;
    size_t requested = 0;
    for (size_t i = 0; i < 300; ++i) {
        size_t n = (i * 977) % 5000;
        void* p = h->alloc(n);
        ASSERT_NE(p, nullptr);
        blocks.push_back(p);
        requested += n;
    }
    HeapStats s = this->stats();
    EXPECT_EQ(s.allocCount, base.allocCount + 300);
    EXPECT_GE(s.used - base.used, requested);
    EXPECT_GT(s.realUsed - base.realUsed, s.used - base.used);  // overhead is counted
    EXPECT_EQ(s.freeBytes, s.total - s.realUsed);
    EXPECT_GE(s.maxRealUsed, s.realUsed);
    EXPECT_LE(s.largestFree, s.freeBytes);
    EXPECT_EQ(s.total, base.total);
    size_t usable = 0;
    for (void* p : blocks) usable += h->usableSize(p);
    EXPECT_GE(usable, s.used - base.used);

    // Free every other block, then the rest.
    for (size_t i = 0; i < blocks.size(); i += 2) h->free(blocks[i]);
    HeapStats half = this->stats();
    EXPECT_EQ(half.freeCount, base.freeCount + 150);
    EXPECT_LT(half.used, s.used);
    EXPECT_GT(half.freeFragments, base.freeFragments);  // holes between live blocks
    EXPECT_TRUE(this->consistent());
    for (size_t i = 1; i < blocks.size(); i += 2) h->free(blocks[i]);
    this->expectBaseline();
    EXPECT_GE(this->stats().maxRealUsed, s.realUsed);
}

TYPED_TEST(HeapConformance, CountersFollowLiveBlocksThroughRealloc) {
    auto* h = this->heap_;
    std::vector<void*> blocks;
    for (int i = 0; i < 20; ++i) blocks.push_back(h->alloc(64));
    for (int round = 0; round < 5; ++round) {
        for (auto& p : blocks) {
            p = h->realloc(p, h->usableSize(p) * 2 + 100);
            ASSERT_NE(p, nullptr);
        }
    }
    HeapStats s = this->stats();
    EXPECT_EQ(s.allocCount - s.freeCount,
              this->base_.allocCount - this->base_.freeCount + blocks.size());
    for (void* p : blocks) h->free(p);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, RandomStressKeepsEveryBlockIntact) {
    auto* h = this->heap_;
    struct Live {
        void* p = nullptr;
        size_t n = 0;
        uint64_t id = 0;
    };
    std::vector<Live> slots(1500);
    uint64_t seed = 0x05E1F00D;
    uint64_t nextId = 1;
    size_t failures = 0;
    auto pickSize = [&] {
        uint64_t r = splitmix(seed) % 100;
        if (r < 65) return static_cast<size_t>(splitmix(seed) % 257);
        if (r < 95) return static_cast<size_t>(257 + splitmix(seed) % 3840);
        return static_cast<size_t>(4097 + splitmix(seed) % 61440);
    };
    for (int op = 0; op < 40000; ++op) {
        Live& s = slots[splitmix(seed) % slots.size()];
        uint64_t what = splitmix(seed) % 10;
        if (!s.p) {
            size_t n = pickSize();
            void* p = h->alloc(n);
            if (!p) {
                ++failures;
                continue;
            }
            ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % kAlign, 0u);
            s = {p, n, nextId++};
            fill(p, n, s.id);
        } else if (what < 7) {
            ASSERT_TRUE(intact(s.p, s.n, s.id)) << "op " << op;
            h->free(s.p);
            s = {};
        } else {
            size_t n = pickSize();
            void* q = h->realloc(s.p, n);
            if (!q && n) {
                ++failures;
                ASSERT_TRUE(intact(s.p, s.n, s.id)) << "op " << op;
                continue;
            }
            ASSERT_TRUE(intact(q, std::min(n, s.n), s.id)) << "op " << op;
            s.p = q;
            s.n = n;
            fill(q, n, s.id);
        }
        if (op % 5000 == 0) {
            ASSERT_TRUE(this->consistent()) << "op " << op;
        }
    }
    EXPECT_EQ(failures, 0u);  // the live set (< 6 MiB worst case) fits the region
    for (Live& s : slots) {
        if (!s.p) continue;
        ASSERT_TRUE(intact(s.p, s.n, s.id));
        h->free(s.p);
    }
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, OwnsOnlyItsOwnBlocks) {
    auto* h = this->heap_;
    void* p = h->alloc(100);
    void* q = h->alloc(50000);
    ASSERT_NE(p, nullptr);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(h->owns(p));
    EXPECT_TRUE(h->owns(q));
    int onStack = 0;
    void* fromMalloc = std::malloc(64);
    EXPECT_FALSE(h->owns(&onStack));
    EXPECT_FALSE(h->owns(fromMalloc));
    EXPECT_FALSE(h->owns(nullptr));
    EXPECT_FALSE(h->owns(static_cast<char*>(this->region_) + this->kRegion + 64));
    std::free(fromMalloc);
    h->free(p);
    h->free(q);
}

TYPED_TEST(HeapConformance, FreeOfNullIsANoOp) {
    this->heap_->free(nullptr);
    this->expectBaseline();
    EXPECT_EQ(this->stats().freeCount, this->base_.freeCount);
}

TYPED_TEST(HeapConformance, ForeignPointersAreReportedAndIgnored) {
    auto* h = this->heap_;
    void* keep = h->alloc(300);
    ASSERT_NE(keep, nullptr);
    fill(keep, 300, 1);
    HeapStats before = this->stats();
    int logged = g_logged.load();

    alignas(16) char onStack[64] = {};
    void* fromMalloc = std::malloc(128);
    h->free(onStack + 16);
    EXPECT_GT(g_logged.load(), logged);  // the first bad pointer is always logged
    h->free(fromMalloc);
    h->free(static_cast<char*>(this->region_) + this->kRegion + 4096);
    h->free(static_cast<char*>(keep) + 8);  // misaligned, inside a live block
    EXPECT_EQ(h->realloc(onStack + 16, 100), nullptr);
    std::free(fromMalloc);

    HeapStats after = this->stats();
    EXPECT_EQ(after.used, before.used);
    EXPECT_EQ(after.realUsed, before.realUsed);
    EXPECT_EQ(after.freeCount, before.freeCount);
    ASSERT_TRUE(intact(keep, 300, 1));
    EXPECT_TRUE(this->consistent());

    // Still fully working.
    void* p = h->alloc(5000);
    ASSERT_NE(p, nullptr);
    fill(p, 5000, 2);
    ASSERT_TRUE(intact(keep, 300, 1));
    h->free(p);
    h->free(keep);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, DoubleFreeIsReportedAndIgnored) {
    auto* h = this->heap_;
    // a, b, c adjacent (allocated in a row on a fresh heap); a pin keeps c off the tail.
    void* a = h->alloc(200);
    void* b = h->alloc(200);
    void* c = h->alloc(40000);
    void* pin = h->alloc(16);
    ASSERT_TRUE(a && b && c && pin);
    int logged = g_logged.load();

    h->free(b);
    HeapStats once = this->stats();
    h->free(b);  // plain double free
    EXPECT_GT(g_logged.load(), logged);
    HeapStats twice = this->stats();
    EXPECT_EQ(twice.freeCount, once.freeCount);
    EXPECT_EQ(twice.realUsed, once.realUsed);
    EXPECT_EQ(twice.freeFragments, once.freeFragments);

    h->free(a);  // a and b coalesce where the heap coalesces
    h->free(b);  // b may now be the middle of a larger free block
    h->free(c);
    h->free(c);
    h->free(a);
    EXPECT_TRUE(this->consistent());

    // Nothing handed out twice: fill fresh blocks and check none overwrote another.
    std::vector<void*> fresh;
    for (uint64_t i = 0; i < 40; ++i) {
        void* p = h->alloc(100 + i * 97);
        ASSERT_NE(p, nullptr);
        fill(p, 100 + i * 97, i);
        fresh.push_back(p);
    }
    for (uint64_t i = 0; i < fresh.size(); ++i) {
        ASSERT_TRUE(intact(fresh[i], 100 + i * 97, i)) << "block " << i;
        h->free(fresh[i]);
    }
    h->free(pin);
    this->expectBaseline();
}

TYPED_TEST(HeapConformance, SharedMappingIsUsableFromAForkedChild) {
    // A heap in MAP_SHARED memory: the child allocates and writes, the parent reads and
    // frees. Works only if the heap keeps no pointers to private memory.
    const size_t kSize = size_t{1} << 20;
    void* shared = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(shared, MAP_FAILED);
    TypeParam* h = TypeParam::create(shared, kSize);
    ASSERT_NE(h, nullptr);
    HeapStats base;
    h->stats(base);
    void* parentBlock = h->alloc(500);
    ASSERT_NE(parentBlock, nullptr);
    fill(parentBlock, 500, 11);
    void** mailbox = static_cast<void**>(h->alloc(16 * sizeof(void*)));
    ASSERT_NE(mailbox, nullptr);

    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int rc = 0;
        if (!intact(parentBlock, 500, 11)) rc |= 1;
        for (uint64_t i = 0; i < 16; ++i) {
            void* p = h->alloc(64 + i * 1000);
            if (!p) {
                rc |= 2;
                break;
            }
            fill(p, 64 + i * 1000, 100 + i);
            mailbox[i] = p;
        }
        h->free(parentBlock);  // allocated in the parent, freed in the child
        _exit(rc);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    for (uint64_t i = 0; i < 16; ++i) {
        ASSERT_TRUE(intact(mailbox[i], 64 + i * 1000, 100 + i)) << "block " << i;
        h->free(mailbox[i]);
    }
    h->free(mailbox);
    consolidate(h);
    HeapStats end;
    h->stats(end);
    EXPECT_EQ(end.realUsed, base.realUsed);
    EXPECT_EQ(end.freeFragments, base.freeFragments);
    munmap(shared, kSize);
}

} // namespace
} // namespace osprey::mem
