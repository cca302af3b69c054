// The per-process cache in front of the shared heap: one LIFO list of free shm blocks per size
// class (shm_size_class.h), in private memory, so the common shmAlloc/shmFree touch no shared
// lock. A block freed by any process joins the freeing process's list. Lists are refilled and
// trimmed in batches (one lock acquisition per batch) by shm.cpp, which owns the heap.
//
// The cached blocks themselves are shm blocks: a list links through the first payload word;
// the second word holds a tag that reveals a second free of a block still in the cache.
// What the cache holds is published in a per-process slot in the segment (SlotCounters),
// written only by its process with plain stores, so shmStats can count cached blocks as free.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/shm_size_class.h"

namespace osprey::mem::shmcache {

struct alignas(64) SlotCounters {
    std::atomic<uint64_t> cachedBytes{0};   // class bytes of the blocks in the cache now
    std::atomic<uint64_t> cachedBlocks{0};
    std::atomic<uint64_t> handedOut{0};     // shmAlloc calls served by the cache (cumulative)
    std::atomic<uint64_t> takenBack{0};     // shmFree calls kept by the cache (cumulative)
    std::atomic<uint64_t> fromHeap{0};      // blocks the cache took from the heap (cumulative)
    std::atomic<uint64_t> toHeap{0};        // blocks the cache gave back to it (cumulative)
    std::atomic<int32_t> ownerPid{0};       // the process that last claimed the slot
};

// Blocks moved per refill or trim of a class: about 32 KiB, at least 4 and at most 64 blocks.
// The list of a class may grow to twice that before it is trimmed by one batch.
constexpr unsigned batchFor(unsigned c) {
    size_t n = size_t{32768} / classSize(c);
    return static_cast<unsigned>(std::clamp<size_t>(n, 4, 64));
}
inline constexpr unsigned kMaxBatch = 64;

class ProcessCache {
public:
    // Starts caching for this process with an empty cache, publishing into `slot` (whose
    // cumulative counters continue from what an earlier user of the slot left).
    void attach(SlotCounters* slot, size_t capBytes);
    // Drops every list without touching the blocks or the slot (a forked child must not reuse
    // its parent's blocks; the parent still owns them).
    void forget();
    bool attached() const { return slot_ != nullptr; }

    size_t bytes() const { return bytes_; }
    size_t capBytes() const { return cap_; }
    unsigned count(unsigned c) const { return lists_[c].count; }

    void* pop(unsigned c) {
        List& l = lists_[c];
        Link* b = l.head;
        if (!b) return nullptr;
        l.head = b->next;
        b->tag = 0;
        --l.count;
        --blocks_;
        bytes_ -= classSize(c);
        ++handedOut_;
        publish();
        return b;
    }

    // Keeps a freed block; false if it is already in this cache (a double free).
    bool push(unsigned c, void* p) {
        Link* b = static_cast<Link*>(p);
        if (b->tag == tagOf(b)) return false;
        link(c, b);
        ++takenBack_;
        publish();
        return true;
    }

    bool overHighWater(unsigned c) const { return lists_[c].count > 2 * batchFor(c); }
    bool overCap() const { return bytes_ > cap_; }

    // Removes up to max blocks of class c (to be returned to the heap); returns how many.
    unsigned take(unsigned c, unsigned max, void** out);
    // Adds n blocks fresh from the heap to class c (count them with countFromHeap).
    void addFromHeap(unsigned c, void* const* blocks, unsigned n);
    // n blocks were obtained from the heap by a refill (cached or handed straight out).
    void countFromHeap(unsigned n);
    // A block obtained by a refill and handed straight to the caller.
    void countHandedOut() {
        ++handedOut_;
        publish();
    }

private:
    struct Link {
        Link* next;
        uintptr_t tag;
    };
    struct List {
        Link* head = nullptr;
        unsigned count = 0;
    };

    static uintptr_t tagOf(const Link* b) {
        return reinterpret_cast<uintptr_t>(b) ^ uintptr_t{0x5ca1ab1ec0ffee5dULL};
    }
    void link(unsigned c, Link* b) {
        List& l = lists_[c];
        b->next = l.head;
        b->tag = tagOf(b);
        l.head = b;
        ++l.count;
        ++blocks_;
        bytes_ += classSize(c);
    }
    void publish() {
        slot_->cachedBytes.store(bytes_, std::memory_order_relaxed);
        slot_->cachedBlocks.store(blocks_, std::memory_order_relaxed);
        slot_->handedOut.store(handedOut_, std::memory_order_relaxed);
        slot_->takenBack.store(takenBack_, std::memory_order_relaxed);
    }

    List lists_[kClassCount];
    SlotCounters* slot_ = nullptr;
    size_t bytes_ = 0;
    size_t cap_ = 0;
    uint64_t blocks_ = 0;
    uint64_t handedOut_ = 0;
    uint64_t takenBack_ = 0;
    uint64_t fromHeap_ = 0;
    uint64_t toHeap_ = 0;
};

} // namespace osprey::mem::shmcache
