// The TLSF allocator (MEMMNG=tlsf): two-level segregated fit with O(1) alloc and free in the
// worst case, for deployments that value a bounded per-operation latency over the last
// nanosecond of average speed. Free blocks sit in one list per (power of two, 1/32
// subdivision); two bitmaps find the first non-empty list that fits with ffs; neighbours
// coalesce immediately through boundary tags. Layout and mapping: tlsf_block.h.
//
// The whole state lives inside the managed region and holds only pointers into it, so a heap
// built in a MAP_SHARED segment works from every process that maps it at the same address.
// No locking here: shm wraps the heap with its lock.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mem/alloc_site.h"
#include "mem/heap_counters.h"
#include "mem/heap_stats.h"
#include "mem/mem_log.h"
#include "mem/tlsf/tlsf_block.h"

namespace osprey::mem {

class TlsfHeap {
public:
    static constexpr const char* kName = "tlsf";

    // Builds a heap in [base, base+size); base must be 16-byte aligned. nullptr if too small.
    static TlsfHeap* create(void* base, size_t size);

    void* alloc(size_t n, AllocSite site = AllocSite::current());
    void free(void* p, AllocSite site = AllocSite::current());
    void* realloc(void* p, size_t n, AllocSite site = AllocSite::current());
    size_t usableSize(const void* p) const;
    bool owns(const void* p) const {
        return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(first_) <
               blockSpan_ + tlsf::kHeader;
    }
    void stats(HeapStats& st) const;

    // Walks every block and list and cross-checks them with the counters; logs the first
    // inconsistency found. O(heap); for tests and debugging.
    bool checkIntegrity() const;

    TlsfHeap(const TlsfHeap&) = delete;
    TlsfHeap& operator=(const TlsfHeap&) = delete;

private:
    using Block = tlsf::Block;

    TlsfHeap(char* first, tlsf::Block* epilogue, size_t total);

    Block* findFit(size_t bs);
    void insert(Block* b);
    void remove(Block* b, tlsf::Index i);
    void remove(Block* b) { remove(b, tlsf::mappingInsert(b->size())); }
    void* use(Block* b, size_t bs);
    void release(Block* b);
    bool checkInUse(const void* p, const char* op, AllocSite site);
    void noteFailure(size_t n, AllocSite site);

    char* first_;        // first block
    size_t blockSpan_;   // first_ .. epilogue_
    Block* epilogue_;    // zero-size in-use tag closing the region
    HeapCounters c_;
    uint64_t flBitmap_ = 0;
    uint32_t slBitmap_[tlsf::kFlCount] = {};
    Block* heads_[tlsf::kFlCount][tlsf::kSlCount] = {};
    RateLimit oomLog_;
    RateLimit badPointerLog_;
};

} // namespace osprey::mem
