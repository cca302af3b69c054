// The fast allocator (MEMMNG=fm, the default): f_malloc's exact small size classes with LIFO
// reuse, without its weakness (large blocks in size-sorted lists, O(n) per free). Block kinds
// and classes: fm_block.h. A two-level bitmap finds the first non-empty class that fits, so
// alloc and free are O(1) for every size. Frees up to 2 KiB are a push (merged later, in
// bulk); larger frees coalesce at once through boundary tags; new space is carved from the
// untouched tail. The hot paths are inline below.
//
// The whole state lives inside the managed region and holds only pointers into it, so a heap
// built in a MAP_SHARED segment works from every process that maps it at the same address.
// No locking here: shm wraps the heap with its lock.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mem/alloc_site.h"
#include "mem/fm/fm_block.h"
#include "mem/heap_counters.h"
#include "mem/heap_stats.h"
#include "mem/mem_log.h"

namespace osprey::mem {

class FmHeap {
public:
    static constexpr const char* kName = "fm";

    // Builds a heap in [base, base+size); base must be 16-byte aligned. nullptr if too small.
    static FmHeap* create(void* base, size_t size);

    void* alloc(size_t n, AllocSite site = AllocSite::current());
    void free(void* p, AllocSite site = AllocSite::current());
    void* realloc(void* p, size_t n, AllocSite site = AllocSite::current());
    size_t usableSize(const void* p) const;
    bool owns(const void* p) const {
        return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(first_) <
               blockSpan_ + fm::kHeader;
    }
    // Free fragments count cached small blocks one by one; consolidate() first for the
    // fully merged picture.
    void stats(HeapStats& st) const;

    // Merges every cached small block with its free neighbours. alloc runs it before giving
    // up; public for memory reports and tests. O(cached blocks).
    void consolidate();

    // Walks every block and list and cross-checks them with the counters; logs the first
    // inconsistency found. O(heap); for tests and debugging.
    bool checkIntegrity() const;

    FmHeap(const FmHeap&) = delete;
    FmHeap& operator=(const FmHeap&) = delete;

private:
    using Block = fm::Block;

    FmHeap(char* first, Block* epilogue, size_t total);

    void* allocSlow(size_t n, AllocSite site);
    Block* takeFit(size_t bs);
    Block* takeFromOwnClass(size_t bs);
    Block* carve(Block* f, unsigned fc, size_t bs);
    Block* carveTop(size_t bs);
    void release(Block* b);
    void unlinkFree(Block* b) {
        size_t size = b->size();
        unlink(b, fm::classOf(size));
        if (b->head & fm::kCached) cachedBytes_ -= size;
    }
    void freeInvalid(void* p, AllocSite site);
    const char* whyInvalid(const void* p) const;
    void reportBadPointer(const char* op, const void* p, const char* why, AllocSite site);
    void noteFailure(size_t n, AllocSite site);

    // Doubly linked lists whose head's prev is left stale: a pop then touches only the block
    // it returns, not the next one. Whether a block heads its list is read from heads_.
    void link(Block* b, unsigned c) {
        Block* h = heads_[c];
        b->next = h;
        if (h) h->prev = b;
        heads_[c] = b;
        bitmap_[c >> 6] |= uint64_t{1} << (c & 63);
        summary_ |= uint64_t{1} << (c >> 6);
        ++c_.freeFragments;
    }
    void unlink(Block* b, unsigned c) {
        Block* nx = b->next;
        if (heads_[c] == b) {
            heads_[c] = nx;
            if (!nx) clearBit(c);
        } else {
            Block* pv = b->prev;
            pv->next = nx;
            if (nx) nx->prev = pv;
        }
        --c_.freeFragments;
    }
    void clearBit(unsigned c) {
        uint64_t& w = bitmap_[c >> 6];
        w &= ~(uint64_t{1} << (c & 63));
        if (!w) summary_ &= ~(uint64_t{1} << (c >> 6));
    }
    // First non-empty class >= c, or -1.
    int findClass(unsigned c) const;

    char* first_;       // first block
    size_t blockSpan_;  // first_ .. epilogue_: where blocks (and so payloads) may lie
    Block* epilogue_;   // zero-size in-use tag closing the region
    Block* top_;        // free tail, never filed in a list (nullptr when used up)
    HeapCounters c_;
    size_t cachedBytes_ = 0;  // in cached blocks, which only consolidate() merges
    uint64_t summary_ = 0;
    uint64_t bitmap_[fm::kBitmapWords] = {};
    Block* heads_[fm::kClasses] = {};
    RateLimit oomLog_;
    RateLimit badPointerLog_;
};

// The hot paths, a pop and a push on an exact-size list (plus the successor's tag);
// everything else is out of line.

inline void* FmHeap::alloc(size_t n, AllocSite site) {
    if (n <= fm::kSmallLimit - 2 * fm::kHeader) [[likely]] {  // block < 4 KiB: exact class
        size_t bs = fm::blockSizeFor(n);
        unsigned c = static_cast<unsigned>(bs >> 4);
        Block* b = heads_[c];
        if (b) [[likely]] {
            Block* nx = b->next;
            heads_[c] = nx;
            __builtin_prefetch(nx, 1);  // the next pop of this class: hide its miss
            if (!nx) clearBit(c);
            --c_.freeFragments;
            if (b->head & fm::kCached) cachedBytes_ -= bs;
            b->head = bs;
            b->at(bs)->setPrevUsed();
            c_.allocated(bs);
            return b->payload();
        }
    }
    return allocSlow(n, site);
}

inline void FmHeap::free(void* p, AllocSite site) {
    // off = offset of p's block from first_. Foreign, misaligned and interior pointers, free
    // blocks (double free) and tags reaching past the epilogue all fail these checks.
    uintptr_t off =
        reinterpret_cast<uintptr_t>(p) - fm::kHeader - reinterpret_cast<uintptr_t>(first_);
    if (off < blockSpan_ && !(off & 15)) [[likely]] {
        auto* b = reinterpret_cast<Block*>(first_ + off);
        size_t head = b->head;
        size_t size = head & ~fm::kFlagMask;
        if (!(head & fm::kFlagMask) && size >= fm::kMinBlock &&
            size <= blockSpan_ - off) [[likely]] {
            c_.realUsed -= size;
            ++c_.freeCount;
            if (size < fm::kCacheLimit) [[likely]] {
                b->at(size)->setPrevFree(size);
                b->head = size | fm::kFree | fm::kCached;
                link(b, static_cast<unsigned>(size >> 4));
                cachedBytes_ += size;
            } else {
                release(b);
            }
            return;
        }
    }
    freeInvalid(p, site);
}

} // namespace osprey::mem
