// DebugHeap<Inner> (make MEMDBG=1 around fm and tlsf): the shared debug-heap fault cases,
// call stacks, realloc through the inner heap, and a randomized run checked by check().
// Runs over qm (always present) and over fm / tlsf when their headers exist.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "mem/debug/debug_heap.h"
#include "mem/qm/qm_heap.h"
#include "test/unit/mem_debug_faults.h"
#if __has_include("mem/fm/fm_heap.h")
#include "mem/fm/fm_heap.h"
#define OSPREY_TEST_HAVE_FM 1
#endif
#if __has_include("mem/tlsf/tlsf_heap.h")
#include "mem/tlsf/tlsf_heap.h"
#define OSPREY_TEST_HAVE_TLSF 1
#endif

namespace osprey::mem::testing {
namespace {

using WrappedTypes = ::testing::Types<DebugHeap<QmHeap<false>>, DebugHeap<QmHeap<false>, false>
#ifdef OSPREY_TEST_HAVE_FM
                                      ,
                                      DebugHeap<FmHeap>
#endif
#ifdef OSPREY_TEST_HAVE_TLSF
                                      ,
                                      DebugHeap<TlsfHeap>
#endif
                                      >;
using StackTypes = ::testing::Types<DebugHeap<QmHeap<false>>
#ifdef OSPREY_TEST_HAVE_FM
                                    ,
                                    DebugHeap<FmHeap>
#endif
#ifdef OSPREY_TEST_HAVE_TLSF
                                    ,
                                    DebugHeap<TlsfHeap>
#endif
                                    >;
INSTANTIATE_TYPED_TEST_SUITE_P(Wrapped, DebugFaults, WrappedTypes);
INSTANTIATE_TYPED_TEST_SUITE_P(Wrapped, DebugStacks, StackTypes);

static_assert(Heap<DebugHeap<QmHeap<false>>>);

TEST(DebugHeapName, NamesTheInnerHeap) {
    EXPECT_STREQ(DebugHeap<QmHeap<false>>::kName, "qm+memdbg");
}

// The report groups by site and stack, sorts by bytes and says when its table overflowed.
TEST(LiveReportTable, GroupsSortsAndCountsOverflow) {
    const AllocSite site = AllocSite::current();
    LiveReport report("test");
    CallStack stack{};
    const size_t groups = LiveReport::kMaxGroups + 10;
    for (size_t i = 0; i < groups; ++i) {
        stack.pc[0] = 0x1000 + i;  // distinct stacks at one site are distinct groups
        report.add(site, &stack, 10 + i);
        report.add(site, &stack, 10 + i);
    }
    int fd = memfd_create("live-report", 0);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(report.write(fd), 2 * groups);
    std::string text(1 << 20, '\0');
    ssize_t n = pread(fd, text.data(), text.size(), 0);
    close(fd);
    ASSERT_GT(n, 0);
    text.resize(static_cast<size_t>(n));
    EXPECT_NE(
        text.find("live fragments in heap test: " + std::to_string(2 * groups) + " fragments"),
        std::string::npos)
        << text.substr(0, 200);
    // The largest group that fitted comes first; the ten that did not are counted at the end.
    size_t largest = 2 * (10 + LiveReport::kMaxGroups - 1);
    EXPECT_NE(text.find("  " + std::to_string(largest) + " bytes in 2 fragments allocated at " +
                        siteText(__FILE__, site.line())),
              std::string::npos)
        << text.substr(0, 400);
    EXPECT_LT(text.find(std::to_string(largest) + " bytes"), text.find("20 bytes in 2"));
    EXPECT_NE(text.find("20 more fragments"), std::string::npos) << text.substr(text.size() - 300);
    EXPECT_NE(text.find("#0 0x"), std::string::npos);  // unnamed addresses still printed
}

template <class H>
class DebugBasics : public DebugFaults<H> {};
TYPED_TEST_SUITE(DebugBasics, WrappedTypes);

TYPED_TEST(DebugBasics, ReallocKeepsContentAndTheLiveList) {
    auto* p = static_cast<unsigned char*>(this->heap->alloc(64));
    ASSERT_NE(p, nullptr);
    for (int i = 0; i < 64; ++i) p[i] = static_cast<unsigned char>(i);
    std::vector<void*> neighbours;
    for (int i = 0; i < 8; ++i) neighbours.push_back(this->heap->alloc(32));
    int line = 0;
    auto* q = (line = __LINE__, static_cast<unsigned char*>(this->heap->realloc(p, 10000)));
    ASSERT_NE(q, nullptr);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(q[i], i);
    EXPECT_EQ(this->heap->usableSize(q), 10000u);
    q[9999] = 1;
    EXPECT_TRUE(this->heap->check());
    size_t live = 0;
    std::string report = liveReportOf(this->heap, &live);
    EXPECT_EQ(live, 9u) << report;
    EXPECT_NE(report.find("10000 bytes in 1 fragment allocated at " + siteText(__FILE__, line)),
              std::string::npos)
        << report;
    auto* r = static_cast<unsigned char*>(this->heap->realloc(q, 10));
    ASSERT_NE(r, nullptr);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(r[i], i);
    EXPECT_EQ(this->heap->realloc(r, size_t{1} << 62), nullptr);  // refused, r untouched
    EXPECT_EQ(this->heap->usableSize(r), 10u);
    EXPECT_EQ(this->heap->realloc(r, 0), nullptr);
    for (void* n : neighbours) this->heap->free(n);
    HeapStats st;
    this->heap->stats(st);
    EXPECT_EQ(st.used, 0u);
    EXPECT_TRUE(this->heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST(DebugBasics, RandomOperationsStaySound) {
    uint64_t s = 99;
    auto next = [&s] {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return s >> 33;
    };
    struct Block {
        unsigned char* p;
        size_t n;
    };
    std::vector<Block> live;
    for (int op = 0; op < 10000; ++op) {
        uint64_t kind = next() % 10;
        if (live.size() < 40 || kind < 4) {
            size_t n = next() % 2000;
            auto* p = static_cast<unsigned char*>(this->heap->alloc(n));
            if (!p) continue;
            memset(p, static_cast<int>(n & 0xff), n);
            live.push_back({p, n});
        } else if (kind < 8) {
            size_t i = next() % live.size();
            this->heap->free(live[i].p);
            live[i] = live.back();
            live.pop_back();
        } else {
            Block& b = live[next() % live.size()];
            size_t n = 1 + next() % 3000;  // realloc(p, 0) would free p
            auto* p = static_cast<unsigned char*>(this->heap->realloc(b.p, n));
            if (!p) continue;
            for (size_t i = 0; i < std::min(b.n, n); ++i)
                ASSERT_EQ(p[i], static_cast<unsigned char>(b.n & 0xff)) << "op " << op;
            memset(p, static_cast<int>(n & 0xff), n);
            b = {p, n};
        }
        if (op % 1000 == 0) {
            ASSERT_TRUE(this->heap->check()) << "op " << op;
        }
    }
    size_t count = 0;
    liveReportOf(this->heap, &count);
    EXPECT_EQ(count, live.size());
    for (const Block& b : live) this->heap->free(b.p);
    EXPECT_TRUE(this->heap->check());
    EXPECT_TRUE(capturedLines().empty());
}

}  // namespace
}  // namespace osprey::mem::testing
