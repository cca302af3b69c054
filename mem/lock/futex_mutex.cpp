// Contended path of FutexMutex: bounded spin, then futex sleep with dead-owner detection.
#include "mem/lock/futex_mutex.h"

#include <syslog.h>
#include <cerrno>

#include "mem/lock/futex.h"
#include "mem/mem_log.h"

namespace osprey::mem {

namespace {
// Critical sections guarded by these locks are short (a heap operation, a hash-bucket update),
// so a short spin usually sees the unlock without paying two system calls.
constexpr int kSpins = 100;
}  // namespace

LockStatus FutexMutex::lockSlow(uint32_t self) {
    for (int i = 0; i < kSpins; ++i) {
        uint32_t v = word_.load(std::memory_order_relaxed);
        if (v == 0 && word_.compare_exchange_weak(v, self, std::memory_order_acquire,
                                                  std::memory_order_relaxed))
            return LockStatus::Acquired;
        cpuRelax();
    }
    for (;;) {
        uint32_t v = word_.load(std::memory_order_relaxed);
        if (v == 0) {
            // Others may be asleep on the word; keep the waiters bit so our unlock wakes one.
            if (word_.compare_exchange_weak(v, self | kWaiters, std::memory_order_acquire,
                                            std::memory_order_relaxed))
                return LockStatus::Acquired;
            continue;
        }
        if (!(v & kWaiters)) {
            if (!word_.compare_exchange_weak(v, v | kWaiters, std::memory_order_relaxed)) continue;
            v |= kWaiters;
        }
        uint32_t owner = v & kTidMask;
        // Our own id as owner can only be a dead owner whose id the kernel gave to us (or a
        // recursive lock, which would otherwise hang forever): check it without sleeping.
        int r = owner == self ? ETIMEDOUT : futexWait(&word_, v, kDeadOwnerCheckMs);
        if (r != ETIMEDOUT) continue;
        if (owner != self && !threadGone(owner)) continue;
        if (word_.compare_exchange_strong(v, self | kWaiters, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
            noteDeadOwner(owner);
            memLog(LOG_WARNING,
                   "lock %p: holder %u died holding it; taken over by %u, the state it "
                   "protects may be inconsistent",
                   static_cast<void*>(this), owner, self);
            return LockStatus::OwnerDied;
        }
    }
}

void FutexMutex::wakeOne() {
    futexWake(&word_, 1);
}

void FutexMutex::checkOwnerOnUnlock() const {
    uint32_t owner = this->owner();
    if (owner != currentTid())
        memLog(LOG_ERR, "lock %p: unlocked by %u but held by %u", static_cast<const void*>(this),
               currentTid(), owner);
}

}  // namespace osprey::mem
