// Lock-free publication of a shm table with safe reclamation (published_table.h).
#include "modules/permissions/published_table.h"

#include <sched.h>
#include <time.h>

#include <new>

#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/timer/clock.h"
#include "mem/lock/lock_set.h"

namespace osprey::permissions {

PublishedTable* PublishedTable::create() {
    // shm blocks are 8-aligned; the reader slots want whole cache lines (mem/lock/lock_set.h).
    void* raw = mem::shmAllocZero(sizeof(PublishedTable) + mem::kCacheLine);
    if (raw == nullptr) return nullptr;
    const uintptr_t at = (reinterpret_cast<uintptr_t>(raw) + mem::kCacheLine - 1) &
                         ~(uintptr_t{mem::kCacheLine} - 1);
    auto* p = new (reinterpret_cast<void*>(at)) PublishedTable();
    p->raw_ = raw;
    return p;
}

void PublishedTable::destroy(PublishedTable* p, void (*freeTable)(void*)) {
    if (p == nullptr) return;
    if (void* t = p->current_.load(); t != nullptr) freeTable(t);
    void* raw = p->raw_;
    p->~PublishedTable();
    mem::shmFree(raw);
}

PublishedTable::ReadGuard::ReadGuard(PublishedTable& p) {
    unsigned slot = proc::self().slot;
    if (slot >= mem::kMaxProcesses) slot = 0;
    slot_ = &p.readers_[slot].value;
    // Odd and different from any value this slot had: a writer waiting on the previous
    // value (a dead reader's) sees it change.
    value_ = (slot_->load(std::memory_order_relaxed) + 2) | 1;
    slot_->store(value_, std::memory_order_seq_cst);
    table_ = p.current_.load(std::memory_order_seq_cst);
}

PublishedTable::ReadGuard::~ReadGuard() {
    slot_->store(value_ + 1, std::memory_order_release);
}

bool PublishedTable::publish(void* next, void (*freeTable)(void*)) {
    void* old = current_.exchange(next, std::memory_order_seq_cst);
    generation_.fetch_add(1, std::memory_order_relaxed);
    if (old == nullptr) return true;
    uint64_t seen[mem::kMaxProcesses];
    for (unsigned i = 0; i < mem::kMaxProcesses; ++i) {
        seen[i] = readers_[i].value.load(std::memory_order_seq_cst);
    }
    const int64_t deadline = timer::nowMs() + kMaxWaitMs;
    for (unsigned i = 0; i < mem::kMaxProcesses; ++i) {
        if ((seen[i] & 1) == 0) continue;  // not inside a lookup
        unsigned spins = 0;
        while (readers_[i].value.load(std::memory_order_acquire) == seen[i]) {
            if (timer::nowMs() > deadline) {
                LM_WARN(
                    "permissions: a reader (process slot %u) stayed inside a lookup for "
                    "%d ms; the previous table is kept, not freed",
                    i, kMaxWaitMs);
                return false;
            }
            if (++spins > 64) {
                const timespec pause{0, 50 * 1000};  // 50 us: a reader needs far less
                nanosleep(&pause, nullptr);
            } else {
                sched_yield();
            }
        }
    }
    freeTable(old);
    return true;
}

}  // namespace osprey::permissions
