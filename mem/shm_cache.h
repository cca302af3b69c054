// The per-process cache in front of the shared heap: one LIFO list of free shm blocks per size
// class (shm_size_class.h), so the common shmAlloc/shmFree touch no shared lock. A block freed
// by any process joins the freeing process's list. Lists are refilled and trimmed in batches
// (one heap lock acquisition per batch) by shm.cpp, which owns the heap.
//
// The lists live in the process's slot in the segment (CacheSlot), not in private memory, so
// another process can take the cached blocks back: a process whose allocation failed
// (reclaim), and the master when a worker has died. The owner touches its slot with plain
// loads and stores; the only shared-memory protocol is a Dekker-style handshake made cheap on
// the owner's side by an asymmetric fence (docs/shm-cache.md has the argument):
//
//   owner, every list operation          reclaimer
//     inOp = 1                             stealReq = 1
//     compiler barrier                     membarrier()  (a full fence on every CPU)
//     if stealReq: inOp = 0, bypass        wait until inOp == 0 (bounded; dead owner: drain)
//     ... list operation ...               ... empty the lists ...
//     inOp = 0 (release)                   stealReq = 0 (release)
//
// Either the reclaimer sees inOp == 1 and waits, or the owner sees stealReq and leaves the
// lists alone (it then allocates from and frees to the locked heap until the reclaimer is
// done). The owner never waits for anything inside an operation, so the reclaimer's wait is a
// few nanoseconds unless the owner is descheduled or dead.
//
// The cached blocks themselves are shm blocks: a list links through the first payload word;
// the second word holds a tag that reveals a second free of a block still in the cache, and
// lets a reclaimer walking a dead owner's list stop at the first entry that is not a cached
// block (a store the owner did not finish).
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/shm_size_class.h"

namespace osprey::mem::shmcache {

struct CacheLink {
    CacheLink* next;
    uintptr_t tag;
};

inline uintptr_t cacheTag(const CacheLink* b) {
    return reinterpret_cast<uintptr_t>(b) ^ uintptr_t { 0x5ca1ab1ec0ffee5dULL };
}

struct ClassList {
    CacheLink* head = nullptr;
    uint32_t count = 0;
};

// One process's cache in the segment. Everything but stealReq is written by the owner only,
// except while a reclaimer holds the lists (stealReq set and inOp seen 0) or the owner is dead.
struct alignas(64) CacheSlot {
    std::atomic<uint32_t> inOp{0};         // the owner is inside a list operation
    std::atomic<uint32_t> stealReq{0};     // a reclaimer wants the lists: the owner bypasses them
    std::atomic<int32_t> ownerPid{0};      // the process that last claimed the slot
    std::atomic<uint32_t> fenced{0};       // the owner is registered for expedited membarrier
    std::atomic<uint64_t> cachedBytes{0};  // class bytes of the blocks in the lists now
    std::atomic<uint64_t> cachedBlocks{0};
    std::atomic<uint64_t> handedOut{0};  // shmAlloc calls served by the cache (cumulative)
    std::atomic<uint64_t> takenBack{0};  // shmFree calls kept by the cache (cumulative)
    std::atomic<uint64_t> fromHeap{0};   // blocks the cache took from the heap (cumulative)
    std::atomic<uint64_t> toHeap{0};     // blocks given back to the heap (cumulative)
    ClassList lists[kClassCount];
};

// Blocks moved per refill or trim of a class: about 32 KiB, at least 4 and at most 64 blocks.
// The list of a class may grow to twice that before it is trimmed by one batch.
constexpr unsigned batchFor(unsigned c) {
    size_t n = size_t{32768} / classSize(c);
    return static_cast<unsigned>(std::clamp<size_t>(n, 4, 64));
}
inline constexpr unsigned kMaxBatch = 64;

// classSize() as a table, for the byte count that every pop and push keeps: one load instead
// of the shifts and multiply of the formula.
inline constexpr auto kClassBytes = [] {
    std::array<uint32_t, kClassCount> t{};
    for (unsigned c = 0; c < kClassCount; ++c) t[c] = static_cast<uint32_t>(classSize(c));
    return t;
}();

enum class Push : uint8_t {
    Kept,        // in the cache
    KeptTrim,    // in the cache, which is now over a high-water mark or the cap: trim it
    DoubleFree,  // already in this cache
    Bypass,      // a reclaimer holds the lists: free it to the heap
};

class ProcessCache {
public:
    // Starts caching for this process in `slot`, whose lists must be empty (a dead earlier
    // user's blocks are given back first, see shm.cpp). Cumulative counters continue.
    void attach(CacheSlot* slot, size_t capBytes) {
        slot_ = slot;
        cap_ = capBytes;
    }
    // Stops using the slot without touching it (a forked child must not reuse its parent's
    // blocks; the parent still owns them).
    void forget() { slot_ = nullptr; }
    bool attached() const { return slot_ != nullptr; }
    CacheSlot* slot() const { return slot_; }

    size_t bytes() const { return slot_->cachedBytes.load(std::memory_order_relaxed); }
    size_t capBytes() const { return cap_; }
    // A reclaimer holds (or wants) the lists.
    bool bypassed() const { return slot_->stealReq.load(std::memory_order_acquire) != 0; }

    // A block of class c, or nullptr when the list is empty or bypassed.
    void* pop(unsigned c) {
        CacheSlot& s = *slot_;
        if (!enter(s)) [[unlikely]]
            return nullptr;
        ClassList& l = s.lists[c];
        CacheLink* b = l.head;
        if (b) [[likely]] {
            l.head = b->next;
            clearTag(b);
            --l.count;
            add(s.cachedBlocks, -1);
            add(s.cachedBytes, -uint64_t{kClassBytes[c]});
            add(s.handedOut, 1);
        }
        leave(s);
        return b;
    }

    Push push(unsigned c, void* p) {
        CacheSlot& s = *slot_;
        if (!enter(s)) [[unlikely]]
            return Push::Bypass;
        CacheLink* b = static_cast<CacheLink*>(p);
        if (b->tag == cacheTag(b)) [[unlikely]] {
            leave(s);
            return Push::DoubleFree;
        }
        link(s, c, b);
        add(s.takenBack, 1);
        bool over = s.lists[c].count > 2 * batchFor(c) ||
                    s.cachedBytes.load(std::memory_order_relaxed) > cap_;
        leave(s);
        return over ? Push::KeptTrim : Push::Kept;
    }

    // Read inside an operation, so a reclaimer cannot be emptying the list at the same time;
    // false when bypassed.
    bool overHighWater(unsigned c) const {
        CacheSlot& s = *slot_;
        if (!enter(s)) return false;
        bool over = s.lists[c].count > 2 * batchFor(c);
        leave(s);
        return over;
    }

    // Removes up to max blocks of class c (to be returned to the heap); returns how many.
    unsigned take(unsigned c, unsigned max, void** out);
    // Adds n blocks fresh from the heap to class c; false (nothing added) when bypassed.
    bool addFromHeap(unsigned c, void* const* blocks, unsigned n);
    // n blocks were obtained from the heap by a refill (cached or handed straight out).
    void countFromHeap(unsigned n) { add(slot_->fromHeap, n); }
    // A block obtained by a refill and handed straight to the caller.
    void countHandedOut() { add(slot_->handedOut, 1); }

private:
    // Owner-only counters: a plain load and store, no read-modify-write instruction.
    static void add(std::atomic<uint64_t>& a, uint64_t d) {
        a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
    }
    static bool enter(CacheSlot& s) {
        s.inOp.store(1, std::memory_order_relaxed);
        // The light side of the asymmetric fence: the reclaimer's membarrier() orders this
        // store before the load below on the CPU this process runs on.
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (s.stealReq.load(std::memory_order_acquire) == 0) [[likely]]
            return true;
        s.inOp.store(0, std::memory_order_release);
        return false;
    }
    static void leave(CacheSlot& s) { s.inOp.store(0, std::memory_order_release); }
    // After the head has moved past b: a walk of a dead owner's list never meets a block that
    // was already handed out.
    static void clearTag(CacheLink* b) {
        std::atomic_ref<uintptr_t>(b->tag).store(0, std::memory_order_release);
    }
    static void link(CacheSlot& s, unsigned c, CacheLink* b) {
        ClassList& l = s.lists[c];
        b->next = l.head;
        b->tag = cacheTag(b);
        // The block is complete before it becomes the head: a walk of a dead owner's list
        // never meets a half-linked block. (Release costs no instruction on x86; it only keeps
        // the compiler from reordering the stores.)
        std::atomic_ref<CacheLink*>(l.head).store(b, std::memory_order_release);
        ++l.count;
        add(s.cachedBlocks, 1);
        add(s.cachedBytes, kClassBytes[c]);
    }

    CacheSlot* slot_ = nullptr;
    size_t cap_ = 0;
};

// --- The reclaimer's side (shm.cpp runs it under its reclaim lock).

// Registers the calling process for the expedited heavy fence; an owner does it once.
bool registerAsymmetricFence();
// A full fence on every CPU running a process of the segment (membarrier(2)). `expedited`
// only when every owner concerned registered. False when the kernel has no membarrier.
bool asymmetricHeavyFence(bool expedited);

enum class Quiet : uint8_t { Idle, OwnerDead, Busy };
// After stealReq and the heavy fence: waits until the owner has left its operation (Idle),
// or finds it dead inside one (OwnerDead), or gives up after timeoutMs (Busy).
Quiet waitOwnerQuiet(CacheSlot& s, uint32_t timeoutMs);

struct Drained {
    uint64_t blocks = 0;
    uint64_t bytes = 0;
    uint64_t dropped = 0;  // lists cut at an entry that was not a cached block (dead owner)
};
// Empties every list of a slot whose owner is excluded or dead: each block that is
// `plausible` (inside the heap) and carries its cache tag goes to `give`; a list is cut at the
// first that does not. Zeroes the slot's cached counters.
Drained drainLists(CacheSlot& s, bool (*plausible)(const void*), void (*give)(void*));

}  // namespace osprey::mem::shmcache
