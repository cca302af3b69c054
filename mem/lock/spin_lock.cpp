// Contended path of SpinLock: spin with pause, then sched_yield, checking for a dead owner.
#include "mem/lock/spin_lock.h"

#include <sched.h>
#include <syslog.h>

#include "mem/lock/futex.h"
#include "mem/mem_log.h"

namespace osprey::mem {

namespace {
constexpr int kSpinsBeforeYield = 1024;
// Probing the owner costs a system call; do it only once a wait is clearly not a short one.
constexpr int kYieldsPerOwnerCheck = 64;
}  // namespace

LockStatus SpinLock::lockSlow(uint32_t self) {
    for (unsigned round = 1;; ++round) {
        for (int i = 0; i < kSpinsBeforeYield; ++i) {
            uint32_t v = word_.load(std::memory_order_relaxed);
            if (v == 0 && word_.compare_exchange_weak(v, self, std::memory_order_acquire,
                                                      std::memory_order_relaxed))
                return LockStatus::Acquired;
            cpuRelax();
        }
        sched_yield();
        if (round % kYieldsPerOwnerCheck != 0) continue;
        uint32_t owner = word_.load(std::memory_order_relaxed);
        if (owner == 0 || (owner != self && !threadGone(owner))) continue;
        if (word_.compare_exchange_strong(owner, self, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
            noteDeadOwner(owner);
            memLog(LOG_WARNING,
                   "spin lock %p: holder %u died holding it; taken over by %u, the state it "
                   "protects may be inconsistent",
                   static_cast<void*>(this), owner, self);
            return LockStatus::OwnerDied;
        }
    }
}

}  // namespace osprey::mem
