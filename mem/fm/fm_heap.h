// The fast allocator (MEMMNG=fm, the default): f_malloc's idea of exact small size classes
// with LIFO reuse, without its weakness (large blocks in size-sorted lists, O(n) per free).
// Classes and block layout: fm_block.h. Free finds non-empty classes through a two-level
// bitmap, so alloc and free are O(1) for every size; neighbours coalesce at once (boundary
// tags) and new space is carved from the untouched tail ("top"), so fragmentation stays low.
//
// The whole state lives inside the managed region and holds only pointers into it, so a heap
// built in a MAP_SHARED segment works from every process that maps it at the same address.
// No locking here: shm wraps the heap with its lock.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mem/alloc_site.h"
#include "mem/fm/fm_block.h"
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
    void stats(HeapStats& st) const;

    // Walks every block and list and cross-checks them with the counters; logs the first
    // inconsistency found. O(heap); for tests and debugging.
    bool checkIntegrity() const;

    FmHeap(const FmHeap&) = delete;
    FmHeap& operator=(const FmHeap&) = delete;

private:
    using Block = fm::Block;

    FmHeap(char* first, Block* epilogue, size_t total);

    void* allocSlow(size_t n, AllocSite site);
    void freeSlow(void* p, AllocSite site);
    Block* takeFit(size_t bs);
    Block* carveTop(size_t bs);
    void* finishAlloc(Block* b, size_t bs);
    void release(Block* b);
    bool checkInUse(const void* p, const char* op, AllocSite site);
    void noteFailure(size_t n, AllocSite site);

    void link(Block* b, unsigned c) {
        Block* h = heads_[c];
        b->next = h;
        b->prev = nullptr;
        if (h) h->prev = b;
        heads_[c] = b;
        bitmap_[c >> 6] |= uint64_t{1} << (c & 63);
        summary_ |= uint64_t{1} << (c >> 6);
        ++freeFragments_;
    }
    void unlink(Block* b, unsigned c) {
        Block* nx = b->next;
        Block* pv = b->prev;
        if (nx) nx->prev = pv;
        if (pv) {
            pv->next = nx;
        } else {
            heads_[c] = nx;
            if (!nx) clearBit(c);
        }
        --freeFragments_;
    }
    void clearBit(unsigned c) {
        uint64_t& w = bitmap_[c >> 6];
        w &= ~(uint64_t{1} << (c & 63));
        if (!w) summary_ &= ~(uint64_t{1} << (c >> 6));
    }
    // First non-empty class >= c, or -1.
    int findClass(unsigned c) const;
    void countAlloc(size_t bs) {
        realUsed_ += bs;
        if (realUsed_ > maxRealUsed_) maxRealUsed_ = realUsed_;
        ++allocCount_;
    }

    char* first_;       // first block
    size_t blockSpan_;  // first_ .. epilogue_: where blocks (and so payloads) may lie
    Block* epilogue_;   // zero-size in-use tag closing the region
    Block* top_;        // free tail never filed in a list (nullptr when used up)
    size_t total_;
    size_t fixedOverhead_;  // the epilogue tag, counted in realUsed
    size_t realUsed_;
    size_t maxRealUsed_;
    size_t freeFragments_ = 0;
    uint64_t allocCount_ = 0;
    uint64_t freeCount_ = 0;
    uint64_t failCount_ = 0;
    uint64_t summary_ = 0;
    uint64_t bitmap_[fm::kBitmapWords] = {};
    Block* heads_[fm::kClasses] = {};
    RateLimit oomLog_;
    RateLimit badPointerLog_;
};

// The hot paths: an exact-class hit on alloc, and a free whose neighbours are both in use.
// Everything else (splitting, coalescing, the top, errors) is out of line.

inline void* FmHeap::alloc(size_t n, AllocSite site) {
    if (n <= fm::kSmallLimit - 2 * fm::kHeader) [[likely]] {  // block < 4 KiB: exact class
        size_t bs = fm::blockSizeFor(n);
        unsigned c = static_cast<unsigned>(bs >> 4);
        Block* b = heads_[c];
        if (b) [[likely]] {
            Block* nx = b->next;
            heads_[c] = nx;
            if (nx) {
                nx->prev = nullptr;
            } else {
                clearBit(c);
            }
            --freeFragments_;
            b->head = bs;  // a free block's predecessor is always in use
            b->at(bs)->head &= ~fm::kPrevFree;
            countAlloc(bs);
            return b->payload();
        }
    }
    return allocSlow(n, site);
}

inline void FmHeap::free(void* p, AllocSite site) {
    // off = offset of p's block from first_; the checks reject foreign and misaligned
    // pointers, free blocks (double free) and tags that would reach past the epilogue.
    uintptr_t off =
        reinterpret_cast<uintptr_t>(p) - fm::kHeader - reinterpret_cast<uintptr_t>(first_);
    if (off < blockSpan_ && !(off & 15)) [[likely]] {
        auto* b = reinterpret_cast<Block*>(first_ + off);
        size_t head = b->head;
        if (!(head & fm::kFlagMask) && head - fm::kMinBlock < fm::kSmallLimit - fm::kMinBlock &&
            head <= blockSpan_ - off) {
            Block* nb = b->at(head);
            if (!(nb->head & fm::kFree)) [[likely]] {
                nb->prevSize = head;
                nb->head |= fm::kPrevFree;
                b->head = head | fm::kFree;
                link(b, static_cast<unsigned>(head >> 4));
                realUsed_ -= head;
                ++freeCount_;
                return;
            }
        }
    }
    freeSlow(p, site);
}

} // namespace osprey::mem
