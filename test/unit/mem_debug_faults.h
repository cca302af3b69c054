// Fault-detection cases every debug heap must pass (qm, DebugHeap<fm|tlsf|...>): double
// free, overrun, underrun, foreign and interior pointers are each reported in one log line
// naming the allocating and the calling line; the heap keeps working; check() finds damage;
// the live report names a leaked block's line. Instantiated by mem_qm_test.cpp and
// mem_debug_test.cpp with their heap types.
#pragma once
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>
#include <cstring>
#include <string>
#include <vector>

#include "mem/mem_log.h"

namespace osprey::mem::testing {

// Log capture through mem's sink (a plain function pointer, so a global buffer).
inline std::vector<std::string>& capturedLines() {
    static std::vector<std::string> lines;
    return lines;
}
inline void captureSink(int level, const char* text) {
    capturedLines().push_back(std::to_string(level) + " " + text);
}

// "file:line" as a heap's one-line reports spell a site.
inline std::string siteText(const char* file, int line) {
    return std::string(file) + ":" + std::to_string(line);
}

// Everything a heap's reportLive writes to fd, read back through a memfd.
template <class H>
std::string liveReportOf(const H* heap, size_t* liveCount) {
    int fd = memfd_create("live-report", 0);
    if (fd < 0) return "memfd_create failed";
    *liveCount = heap->reportLive(fd);
    std::string text;
    char buf[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(fd);
    return text;
}

// A mapped region holding one heap of type H.
template <class H>
class HeapRegion {
public:
    explicit HeapRegion(size_t bytes, int flags = MAP_PRIVATE | MAP_ANONYMOUS) : bytes_(bytes) {
        void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
        base_ = m == MAP_FAILED ? nullptr : m;
        heap_ = base_ ? H::create(base_, bytes) : nullptr;
    }
    ~HeapRegion() {
        if (base_) munmap(base_, bytes_);
    }
    HeapRegion(const HeapRegion&) = delete;
    HeapRegion& operator=(const HeapRegion&) = delete;
    H* heap() const { return heap_; }

private:
    size_t bytes_;
    void* base_ = nullptr;
    H* heap_ = nullptr;
};

template <class H>
class DebugFaults : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(heap, nullptr);
        capturedLines().clear();
        setLogSink(captureSink);
    }
    void TearDown() override { setLogSink(nullptr); }

    // The single line logged since the last call (fails the test if there is not exactly one).
    std::string onlyLine() {
        std::vector<std::string> lines;
        lines.swap(capturedLines());
        EXPECT_EQ(lines.size(), 1u) << (lines.empty() ? "no line" : lines.back());
        if (lines.empty()) return "";
        EXPECT_EQ(lines[0].rfind("3 ", 0), 0u) << "not logged at LOG_ERR: " << lines[0];
        return lines[0];
    }
    // The heap serves and takes back blocks without a word, and check() is content.
    void expectHealthy() {
        std::vector<char*> blocks;
        for (size_t i = 0; i < 64; ++i) {
            auto* p = static_cast<char*>(heap->alloc(8 + i * 37));
            ASSERT_NE(p, nullptr);
            memset(p, static_cast<int>(i), 8 + i * 37);
            blocks.push_back(p);
        }
        for (size_t i = 0; i < blocks.size(); i += 2) heap->free(blocks[i]);
        for (size_t i = 1; i < blocks.size(); i += 2) heap->free(blocks[i]);
        EXPECT_TRUE(heap->check());
        EXPECT_TRUE(capturedLines().empty()) << capturedLines().front();
    }

    HeapRegion<H> region{4 << 20};
    H* heap = region.heap();
};

TYPED_TEST_SUITE_P(DebugFaults);

TYPED_TEST_P(DebugFaults, DoubleFreeNamesAllocFirstAndSecondFree) {
    int allocLine = 0;
    void* p = (allocLine = __LINE__, this->heap->alloc(40));
    int firstFree = 0;
    (firstFree = __LINE__, this->heap->free(p));
    EXPECT_TRUE(capturedLines().empty());
    int secondFree = 0;
    (secondFree = __LINE__, this->heap->free(p));
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("double free"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, firstFree)), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, secondFree)), std::string::npos) << line;
    this->expectHealthy();
}

TYPED_TEST_P(DebugFaults, OneByteOverrunIsCaughtAtFree) {
    for (size_t n : {0ul, 1ul, 24ul, 32ul, 100ul, 1000ul, 5000ul}) {
        int allocLine = 0;
        auto* p = (allocLine = __LINE__, static_cast<char*>(this->heap->alloc(n)));
        ASSERT_NE(p, nullptr);
        ASSERT_EQ(this->heap->usableSize(p), n);
        memset(p, 0x11, n);
        p[n] = 'x';  // inside the heap's guard, so sanitizers stay quiet
        int freeLine = 0;
        (freeLine = __LINE__, this->heap->free(p));
        std::string line = this->onlyLine();
        EXPECT_NE(line.find("overrun"), std::string::npos) << n << ": " << line;
        EXPECT_NE(line.find("at byte " + std::to_string(n)), std::string::npos) << line;
        EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
        EXPECT_NE(line.find(siteText(__FILE__, freeLine)), std::string::npos) << line;
        // The refused block stays out of use; freeing it again is a double free.
        this->heap->free(p);
        EXPECT_NE(this->onlyLine().find("double free"), std::string::npos);
    }
    this->expectHealthy();
}

TYPED_TEST_P(DebugFaults, OneByteUnderrunIsCaughtAtFree) {
    int allocLine = 0;
    auto* p = (allocLine = __LINE__, static_cast<char*>(this->heap->alloc(64)));
    ASSERT_NE(p, nullptr);
    p[-1] = 0;
    int freeLine = 0;
    (freeLine = __LINE__, this->heap->free(p));
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("underrun"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, freeLine)), std::string::npos) << line;
    this->expectHealthy();
}

TYPED_TEST_P(DebugFaults, ForeignPointersAreRefused) {
    alignas(16) char stackBuffer[64] = {};
    int stackLine = 0;
    (stackLine = __LINE__, this->heap->free(stackBuffer));
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("not in this heap"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, stackLine)), std::string::npos) << line;

    HeapRegion<TypeParam> other(1 << 20);
    ASSERT_NE(other.heap(), nullptr);
    void* q = other.heap()->alloc(32);
    int otherLine = 0;
    (otherLine = __LINE__, this->heap->free(q));
    line = this->onlyLine();
    EXPECT_NE(line.find("not in this heap"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, otherLine)), std::string::npos) << line;
    other.heap()->free(q);
    EXPECT_TRUE(capturedLines().empty());

    int allocLine = 0;
    auto* p = (allocLine = __LINE__, static_cast<char*>(this->heap->alloc(100)));
    for (size_t offset : {3ul, 16ul, 99ul}) {
        int freeLine = 0;
        (freeLine = __LINE__, this->heap->free(p + offset));
        line = this->onlyLine();
        EXPECT_NE(line.find("points " + std::to_string(offset) + " bytes into a block"),
                  std::string::npos)
            << line;
        EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
        EXPECT_NE(line.find(siteText(__FILE__, freeLine)), std::string::npos) << line;
    }
    EXPECT_EQ(this->heap->realloc(p + 5, 10), nullptr);
    EXPECT_NE(this->onlyLine().find("realloc at"), std::string::npos);
    this->heap->free(p);  // the block itself was never harmed
    this->expectHealthy();
}

TYPED_TEST_P(DebugFaults, ReallocOfFreedBlockIsRefused) {
    int allocLine = 0;
    void* p = (allocLine = __LINE__, this->heap->alloc(80));
    this->heap->free(p);
    EXPECT_EQ(this->heap->realloc(p, 200), nullptr);
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("double free"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
    EXPECT_NE(line.find("realloc at"), std::string::npos) << line;
    this->expectHealthy();
}

TYPED_TEST_P(DebugFaults, CheckFindsOverrunOfALiveBlock) {
    int allocLine = 0;
    auto* p = (allocLine = __LINE__, static_cast<char*>(this->heap->alloc(50)));
    EXPECT_TRUE(this->heap->check());
    char saved = p[50];
    p[50] = 0;
    EXPECT_FALSE(this->heap->check());
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("overrun"), std::string::npos) << line;
    EXPECT_NE(line.find("found by check()"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
    p[50] = saved;  // repaired: the heap is sound again and the block frees silently
    EXPECT_TRUE(this->heap->check());
    this->heap->free(p);
    this->expectHealthy();
}

TYPED_TEST_P(DebugFaults, CheckFindsDamagedRecord) {
    int allocLine = 0;
    auto* p = (allocLine = __LINE__, static_cast<char*>(this->heap->alloc(48)));
    char saved = p[-1];
    p[-1] = static_cast<char>(saved ^ 0x5a);
    EXPECT_FALSE(this->heap->check());
    std::string line = this->onlyLine();
    EXPECT_NE(line.find("underrun"), std::string::npos) << line;
    EXPECT_NE(line.find(siteText(__FILE__, allocLine)), std::string::npos) << line;
    p[-1] = saved;
    EXPECT_TRUE(this->heap->check());
    this->heap->free(p);
    EXPECT_TRUE(capturedLines().empty());
}

TYPED_TEST_P(DebugFaults, LiveReportNamesLeakedLines) {
    std::vector<void*> freed;
    for (int i = 0; i < 10; ++i) freed.push_back(this->heap->alloc(100 + i));
    int leakLine = 0;
    void* leak = (leakLine = __LINE__, this->heap->alloc(333));
    std::vector<void*> group;
    for (int i = 0; i < 3; ++i) group.push_back(this->heap->alloc(1000));
    const int groupLine = leakLine + 2;
    for (void* p : freed) this->heap->free(p);

    size_t live = 0;
    std::string report = liveReportOf(this->heap, &live);
    EXPECT_EQ(live, 4u) << report;
    EXPECT_NE(report.find("333 bytes in 1 fragment allocated at " + siteText(__FILE__, leakLine)),
              std::string::npos)
        << report;
    EXPECT_NE(
        report.find("3000 bytes in 3 fragments allocated at " + siteText(__FILE__, groupLine)),
        std::string::npos)
        << report;
    // Largest group first.
    EXPECT_LT(report.find("3000 bytes in"), report.find("333 bytes in")) << report;
    EXPECT_EQ(report.find("100 bytes"), std::string::npos) << report;

    this->heap->free(leak);
    for (void* p : group) this->heap->free(p);
    report = liveReportOf(this->heap, &live);
    EXPECT_EQ(live, 0u) << report;
    EXPECT_TRUE(capturedLines().empty());
}

REGISTER_TYPED_TEST_SUITE_P(DebugFaults, DoubleFreeNamesAllocFirstAndSecondFree,
                            OneByteOverrunIsCaughtAtFree, OneByteUnderrunIsCaughtAtFree,
                            ForeignPointersAreRefused, ReallocOfFreedBlockIsRefused,
                            CheckFindsOverrunOfALiveBlock, CheckFindsDamagedRecord,
                            LiveReportNamesLeakedLines);

// --- call stacks (heaps that record them) -------------------------------------------------

template <class H>
[[gnu::noinline]] void* allocThroughHelper(H* heap, size_t n) {
    void* p = heap->alloc(n);
    asm volatile("" ::: "memory");  // keep the call from becoming a tail call
    return p;
}

template <class H>
class DebugStacks : public DebugFaults<H> {};
TYPED_TEST_SUITE_P(DebugStacks);

TYPED_TEST_P(DebugStacks, StackStartsInTheAllocatingFunction) {
    void* p = allocThroughHelper(this->heap, 72);
    const CallStack* stack = this->heap->allocationStack(p);
    ASSERT_NE(stack, nullptr);
    auto helper = reinterpret_cast<uintptr_t>(&allocThroughHelper<TypeParam>);
    // The innermost frame is the return address inside the helper, the next is in this test.
    EXPECT_GT(stack->pc[0], helper);
    EXPECT_LT(stack->pc[0], helper + 512);
    EXPECT_NE(stack->pc[1], 0u);

    size_t live = 0;
    std::string report = liveReportOf(this->heap, &live);
    EXPECT_EQ(live, 1u);
    EXPECT_NE(report.find("#0 "), std::string::npos) << report;
    EXPECT_NE(report.find("allocThroughHelper"), std::string::npos) << report;
    EXPECT_NE(report.find("StackStartsInTheAllocatingFunction"), std::string::npos) << report;
    this->heap->free(p);
    EXPECT_EQ(this->heap->allocationStack(p), nullptr);
}

REGISTER_TYPED_TEST_SUITE_P(DebugStacks, StackStartsInTheAllocatingFunction);

}  // namespace osprey::mem::testing
