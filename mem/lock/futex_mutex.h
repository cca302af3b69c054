// Process-shared mutex on one 32-bit futex word; placeable in shm (standard layout, no
// pointers, all-zero bytes = unlocked, so a zero-filled shm block holds ready-made locks).
//
// The word holds the owner's kernel thread id, plus a "waiters may sleep" bit. Uncontended
// lock is one CAS, unlock one exchange (a FUTEX_WAKE only when someone sleeps). Contended
// lockers spin briefly, then FUTEX_WAIT with a timeout; after each timeout they ask the kernel
// whether the owner still exists, so a holder killed by SIGKILL delays the others by about
// kDeadOwnerCheckMs, and the next taker gets LockStatus::OwnerDied (and a log line).
//
// Why an owner id probed with kill(tid, 0) and not the kernel's robust futex list
// (set_robust_list, FUTEX_OWNER_DIED): a robust lock needs a list link in every lock (4 bytes
// become 16, and tm and usrloc hold one per transaction and per slot), list bookkeeping on every
// lock and unlock, and the one robust list head a thread may have is already glibc's (it
// registers its own in every thread and again after fork). The probe costs nothing until a
// lock is contended for kDeadOwnerCheckMs. docs/locks.md has the whole argument.
// Limits: an owner id reused by a new live thread before anyone noticed the death is taken
// for the old owner (ids are handed out in sequence and wrap only after pid_max allocations;
// the one reuse that matters, our own id, is checked: see lockSlow); fork children must come
// from fork() (the cached id is reset by pthread_atfork), not from a raw clone().
#pragma once
#include <atomic>
#include <cstdint>

#include "mem/lock/lock_status.h"
#include "mem/lock/thread_id.h"

namespace osprey::mem {

class FutexMutex {
public:
    static constexpr uint32_t kDeadOwnerCheckMs = 20;

    constexpr FutexMutex() = default;
    FutexMutex(const FutexMutex&) = delete;
    FutexMutex& operator=(const FutexMutex&) = delete;

    LockStatus lock() {
        uint32_t self = currentTid();
        uint32_t expected = 0;
        if (word_.compare_exchange_strong(expected, self, std::memory_order_acquire,
                                          std::memory_order_relaxed)) [[likely]]
            return LockStatus::Acquired;
        return lockSlow(self);
    }

    bool tryLock() {
        uint32_t expected = 0;
        return word_.compare_exchange_strong(expected, currentTid(), std::memory_order_acquire,
                                             std::memory_order_relaxed);
    }

    void unlock() {
#if OSPREY_DEBUG
        checkOwnerOnUnlock();
#endif
        if (word_.exchange(0, std::memory_order_release) & kWaiters) [[unlikely]]
            wakeOne();
    }

    // Thread id of the holder, 0 when free (a snapshot, for diagnostics and tests).
    uint32_t owner() const {
        return word_.load(std::memory_order_relaxed) & kTidMask;
    }
    bool isLocked() const {
        return owner() != 0;
    }
    // The calling thread holds this lock. Exact for a live holder: only the holder writes its
    // own id into the word. (A dead holder whose id was reused for the caller also reads as
    // "held by caller"; lock() treats that case as OwnerDied.)
    bool heldByCaller() const {
        return owner() == currentTid();
    }
    // Some locker has gone (or is about to go) to sleep in the kernel: the contended path.
    bool hasWaiters() const {
        return word_.load(std::memory_order_relaxed) & kWaiters;
    }

private:
    static constexpr uint32_t kWaiters = 1u << 31;
    static constexpr uint32_t kTidMask = kWaiters - 1;

    LockStatus lockSlow(uint32_t self);
    void wakeOne();
    void checkOwnerOnUnlock() const;

    std::atomic<uint32_t> word_{0};
};

static_assert(sizeof(FutexMutex) == 4);

}  // namespace osprey::mem
