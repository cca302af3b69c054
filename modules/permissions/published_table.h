// One pointer to an immutable table in shm that readers in every process use without a lock,
// and that a reload replaces atomically; the old table is freed only once no reader can still
// hold it.
//
// Readers announce themselves in a per-process slot (proc::self().slot, one cache line each so
// workers do not share lines): entering stores a new odd value, leaving the next even one. The
// writer swaps the pointer, then looks at every slot once: a slot that is odd belongs to a
// reader that may have loaded the old pointer, and the writer waits until that slot's value
// changes (the reader left; it can only come back with the new pointer). Both sides use
// sequentially consistent operations for "store my slot, then load the pointer" and "store the
// pointer, then load the slots", so a reader whose slot store the writer did not see is
// ordered after the swap and gets the new table (the store-load pattern of a Dekker lock).
//
// Reader cost: two stores to its own line (one a full fence, an `xchg`) and a load. The writer
// waits at most kMaxWaitMs for a reader; one that stays inside longer (stopped, or killed in
// the middle of a lookup) makes the writer keep the old table instead of freeing it (a leak of
// one table, logged), which is safe. A process restarted in a dead one's slot moves its value
// on at its first read.
#pragma once
#include <atomic>
#include <cstdint>

#include "mem/shm.h"

namespace osprey::permissions {

class PublishedTable {
public:
    static constexpr int kMaxWaitMs = 2000;

    // In the master, before fork; nullptr when shm is exhausted.
    static PublishedTable* create();
    static void destroy(PublishedTable* p, void (*freeTable)(void*));

    // Installs `next` and frees the previous table with freeTable once no reader holds it
    // (synchronously: waits for readers inside a lookup, never for idle ones). One writer at
    // a time (the caller serialises). Returns false when it had to leak the old table.
    bool publish(void* next, void (*freeTable)(void*));

    // For a lookup: the current table, valid until the guard goes away.
    class ReadGuard {
    public:
        explicit ReadGuard(PublishedTable& p);
        ~ReadGuard();
        ReadGuard(const ReadGuard&) = delete;
        ReadGuard& operator=(const ReadGuard&) = delete;
        const void* table() const { return table_; }

    private:
        std::atomic<uint64_t>* slot_;
        uint64_t value_;
        const void* table_;
    };

    uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }

private:
    struct alignas(64) ReaderSlot {
        std::atomic<uint64_t> value{0};
    };

    void* raw_ = nullptr;  // the shm block this was aligned in
    std::atomic<void*> current_{nullptr};
    std::atomic<uint64_t> generation_{0};
    ReaderSlot readers_[mem::kMaxProcesses];
};

}  // namespace osprey::permissions
