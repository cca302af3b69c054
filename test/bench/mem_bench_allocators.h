// The allocators the benchmark compares, behind one tiny static interface
// (alloc/free/realloc with a heap number: 0 = "shm", 1 = "pkg").
//   glibc: malloc/free/realloc for both heaps.
//   fm, qm (QmHeap<true>, the MEMDBG=1 allocator with call stacks), tlsf: one raw heap per
//   heap number, each in its own private mmap region sized from the trace.
#pragma once
#include <cstdlib>

#include "mem/heap_concept.h"
#include "test/bench/mem_bench_mapped.h"
#include "test/bench/mem_bench_trace.h"

#if __has_include("mem/fm/fm_heap.h")
#include "mem/fm/fm_heap.h"
#define MEM_BENCH_HAVE_FM 1
#endif
#if __has_include("mem/qm/qm_heap.h")
#include "mem/qm/qm_heap.h"
#define MEM_BENCH_HAVE_QM 1
#endif
#if __has_include("mem/tlsf/tlsf_heap.h")
#include "mem/tlsf/tlsf_heap.h"
#define MEM_BENCH_HAVE_TLSF 1
#endif

namespace osprey::membench {

// One call site for every benchmark allocation; debug heaps record it like any other.
inline constexpr mem::AllocSite kBenchSite = mem::AllocSite::current();

// Writes one byte per 4 KiB page of the block plus its last byte, so RSS reflects the address
// span really handed out. Volatile: the compiler must not drop stores into memory it sees freed.
inline void touchBlock(void* p, uint32_t n) {
    volatile char* c = static_cast<char*>(p);
    for (uint32_t off = 0; off < n; off += 4096) c[off] = 1;
    if (n) c[n - 1] = 1;
}

struct GlibcAlloc {
    static constexpr const char* kName = "glibc";
    bool init(const Trace&) { return true; }
    void* alloc(uint8_t, size_t n) { return malloc(n); }
    void free(uint8_t, void* p) { ::free(p); }
    void* realloc(uint8_t, void* p, size_t n) { return ::realloc(p, n); }
    bool stats(mem::HeapStats*) const { return false; }
};

// The harness floor: a bump pointer over a ring as big as the trace's peak live bytes. It
// frees nothing and wraps around when it reaches the end (blocks are only ever written, never
// read back, so overwriting a live one is harmless here), and rewinds when nothing is live
// (between passes). Its ns/pair is what the replay loop and the page touches cost by
// themselves: no allocator can go below it.
class FloorAlloc {
public:
    static constexpr const char* kName = "floor";
    ~FloorAlloc() {
        if (base_) munmap(base_, bytes_);
    }
    bool init(const Trace& t) {
        bytes_ = roundToPages(t.peakLive + (size_t{1} << 20));
        base_ = static_cast<char*>(mapBytes(bytes_));
        top_ = base_;
        return base_ != nullptr;
    }
    void* alloc(uint8_t, size_t n) {
        ++live_;
        n = (n + 15) & ~size_t{15};
        if (top_ + n > base_ + bytes_) top_ = base_;
        char* p = top_;
        top_ += n;
        return p;
    }
    void free(uint8_t, void*) {
        if (--live_ == 0) top_ = base_;
    }
    void* realloc(uint8_t h, void*, size_t n) {  // no copy: the floor is the harness's cost
        void* q = alloc(h, n);
        --live_;
        return q;
    }
    bool stats(mem::HeapStats*) const { return false; }

private:
    char* base_ = nullptr;
    char* top_ = nullptr;
    size_t bytes_ = 0;
    uint64_t live_ = 0;
};

// Region for one heap: generous, since untouched pages cost nothing; a heap's bookkeeping
// overhead (qm's per-fragment call stacks) must not make it run out.
inline size_t regionBytes(uint64_t peakLive) {
    return roundToPages(8 * peakLive + (size_t{64} << 20));
}

template <mem::Heap H>
class ArenaAlloc {
public:
    ArenaAlloc() = default;
    ArenaAlloc(const ArenaAlloc&) = delete;
    ArenaAlloc& operator=(const ArenaAlloc&) = delete;
    ~ArenaAlloc() {
        for (int i = 0; i < 2; ++i)
            if (base_[i]) munmap(base_[i], bytes_[i]);
    }

    bool init(const Trace& t) {
        for (int i = 0; i < 2; ++i) {
            bytes_[i] = regionBytes(t.peakLiveHeap[i]);
            base_[i] = mapBytes(bytes_[i]);
            if (!base_[i]) return false;
            heap_[i] = H::create(base_[i], bytes_[i]);
            if (!heap_[i]) return false;
        }
        return true;
    }
    void* alloc(uint8_t h, size_t n) { return heap_[h]->alloc(n, kBenchSite); }
    void free(uint8_t h, void* p) { heap_[h]->free(p, kBenchSite); }
    void* realloc(uint8_t h, void* p, size_t n) { return heap_[h]->realloc(p, n, kBenchSite); }
    // Both heaps' counters added up.
    bool stats(mem::HeapStats* out) const {
        *out = mem::HeapStats{};
        for (int i = 0; i < 2; ++i) {
            mem::HeapStats s;
            heap_[i]->stats(s);
            out->used += s.used;
            out->realUsed += s.realUsed;
            out->maxRealUsed += s.maxRealUsed;
            out->allocCount += s.allocCount;
            out->freeCount += s.freeCount;
            out->failCount += s.failCount;
        }
        return true;
    }

private:
    H* heap_[2] = {nullptr, nullptr};
    void* base_[2] = {nullptr, nullptr};
    size_t bytes_[2] = {0, 0};
};

}  // namespace osprey::membench
