// The private heap: alloc/free/realloc and stats, out-of-memory handling, and the fresh heap
// a forked child builds for itself.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mem/mem_log.h"
#include "mem/pkg.h"

using namespace osprey::mem;

namespace {

int g_matches = 0;
const char* g_needle = "";
void countingSink(int, const char* text) {
    if (strstr(text, g_needle)) ++g_matches;
}
struct LogCounter {
    explicit LogCounter(const char* needle) {
        g_needle = needle;
        g_matches = 0;
        setLogSink(countingSink);
    }
    ~LogCounter() { setLogSink(nullptr); }
    int count() const { return g_matches; }
};

void fill(void* p, size_t n, unsigned seed) {
    auto* b = static_cast<unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + i * 7);
}
bool verify(const void* p, size_t n, unsigned seed) {
    auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i)
        if (b[i] != static_cast<unsigned char>(seed + i * 7)) return false;
    return true;
}

int reap(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class Pkg : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(pkgInit(kBytes)); }
    void TearDown() override { pkgDestroy(); }
    static constexpr size_t kBytes = size_t{4} << 20;
};

} // namespace

TEST(PkgNotInitialised, CallsFailCleanly) {
    EXPECT_FALSE(pkgReady());
    LogCounter log("before pkgInit");
    EXPECT_EQ(pkgAlloc(10), nullptr);
    EXPECT_EQ(pkgAllocZero(10), nullptr);
    EXPECT_EQ(pkgRealloc(nullptr, 10), nullptr);
    int x = 0;
    pkgFree(&x);
    EXPECT_FALSE(pkgOwns(&x));
    EXPECT_GE(log.count(), 1);
    EXPECT_EQ(pkgStats().total, 0u);
    EXPECT_FALSE(pkgInit(0));
}

TEST_F(Pkg, AllocFreeReallocAndStats) {
    EXPECT_TRUE(pkgReady());
    HeapStats base = pkgStats();
    EXPECT_GT(base.total, kBytes / 2);
    EXPECT_LE(base.total, kBytes);

    std::vector<std::pair<void*, size_t>> live;
    for (size_t n : {size_t{0}, size_t{1}, size_t{64}, size_t{2024}, size_t{9664}, size_t{100000}}) {
        void* p = pkgAlloc(n);
        ASSERT_NE(p, nullptr) << n;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
        EXPECT_TRUE(pkgOwns(p));
        fill(p, n, static_cast<unsigned>(n));
        live.push_back({p, n});
    }
    HeapStats busy = pkgStats();
    EXPECT_GE(busy.used, base.used + 1 + 64 + 2024 + 9664 + 100000);
    EXPECT_EQ(busy.allocCount - base.allocCount, live.size());
    for (auto [p, n] : live) EXPECT_TRUE(verify(p, n, static_cast<unsigned>(n)));
    for (auto [p, n] : live) pkgFree(p);
    HeapStats after = pkgStats();
    EXPECT_EQ(after.used, base.used);
    EXPECT_EQ(after.freeCount - base.freeCount, live.size());

    auto* z = static_cast<unsigned char*>(pkgAllocZero(500));
    ASSERT_NE(z, nullptr);
    for (int i = 0; i < 500; ++i) ASSERT_EQ(z[i], 0);
    pkgFree(z);

    void* p = pkgRealloc(nullptr, 40);
    ASSERT_NE(p, nullptr);
    fill(p, 40, 3);
    void* q = pkgRealloc(p, 70000);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(verify(q, 40, 3));
    EXPECT_EQ(pkgRealloc(q, 0), nullptr);
    EXPECT_EQ(pkgStats().used, base.used);
    int local = 0;
    EXPECT_FALSE(pkgOwns(&local));
    pkgFree(nullptr);
}

TEST_F(Pkg, OutOfMemoryReturnsNullLogsRateLimitedAndRecovers) {
    LogCounter log("pkg: out of memory");
    std::vector<void*> blocks;
    for (int i = 0; i < 10000; ++i) {
        void* p = pkgAlloc(64 << 10);
        if (!p) break;
        blocks.push_back(p);
    }
    EXPECT_GT(blocks.size(), 10u);
    EXPECT_LT(blocks.size(), 10000u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(pkgAlloc(64 << 10), nullptr);
    EXPECT_EQ(pkgRealloc(blocks[0], kBytes * 2), nullptr);  // fails, block unchanged
    EXPECT_GE(log.count(), 1);
    EXPECT_LE(log.count(), 2);  // 51 failures, one line per second at most
    EXPECT_GE(pkgStats().failCount, 1u);
    for (void* p : blocks) pkgFree(p);
    void* big = pkgAlloc(kBytes / 2);
    EXPECT_NE(big, nullptr);
    pkgFree(big);
}

TEST_F(Pkg, ForkedChildBuildsAFreshHeap) {
    auto* parentBlock = static_cast<char*>(pkgAlloc(3000));
    ASSERT_NE(parentBlock, nullptr);
    fill(parentBlock, 3000, 9);
    HeapStats parentStats = pkgStats();
    pid_t child = fork();
    if (child == 0) {
        // Before pkgInit the child runs on its copy of the parent's heap.
        if (!pkgReady() || !verify(parentBlock, 3000, 9)) _exit(1);
        if (!pkgInit(kBytes)) _exit(2);
        HeapStats st = pkgStats();
        if (st.allocCount != 0 || st.used >= parentStats.used) _exit(3);
        // The inherited region is gone, unless the new one was mapped at the same place.
        long page = sysconf(_SC_PAGESIZE);
        void* pageOf = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(parentBlock) &
                                               ~static_cast<uintptr_t>(page - 1));
        bool unmapped = msync(pageOf, static_cast<size_t>(page), MS_ASYNC) != 0 && errno == ENOMEM;
        if (!unmapped && !pkgOwns(parentBlock)) _exit(4);
        void* p = pkgAlloc(3000);
        if (!p) _exit(5);
        fill(p, 3000, 77);
        pkgFree(p);
        _exit(pkgStats().allocCount == 1 ? 0 : 6);
    }
    EXPECT_EQ(reap(child), 0);
    EXPECT_TRUE(verify(parentBlock, 3000, 9));  // the child's heap never touched ours
    EXPECT_EQ(pkgStats().allocCount, parentStats.allocCount);
    pkgFree(parentBlock);
}

TEST_F(Pkg, ReinitReplacesTheHeapAndDestroyEndsIt) {
    void* p = pkgAlloc(100);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(pkgInit(kBytes));
    EXPECT_EQ(pkgStats().allocCount, 0u);
    pkgDestroy();
    EXPECT_FALSE(pkgReady());
    EXPECT_EQ(pkgAlloc(10), nullptr);
    ASSERT_TRUE(pkgInit(kBytes));  // for TearDown
}

TEST_F(Pkg, ReportLiveWritesSomething) {
    void* p = pkgAlloc(100);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pkgReportLive(fds[1]);
    close(fds[1]);
    char buf[256];
    EXPECT_GT(read(fds[0], buf, sizeof buf), 0);
    close(fds[0]);
    pkgFree(p);
}
