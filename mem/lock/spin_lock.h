// Process-shared test-and-test-and-set spin lock for very short critical sections; placeable
// in shm (one 32-bit word, zero = unlocked). It spins with `pause`, then yields the CPU after a
// bounded spin so a preempted holder can run. The word holds the owner's thread id, so a
// waiter that has yielded for a while checks whether the holder died and takes the lock over
// (LockStatus::OwnerDied, logged), as FutexMutex does.
#pragma once
#include <atomic>
#include <cstdint>

#include "mem/lock/lock_status.h"
#include "mem/lock/thread_id.h"

namespace osprey::mem {

class SpinLock {
public:
    constexpr SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

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

    void unlock() { word_.store(0, std::memory_order_release); }

    uint32_t owner() const { return word_.load(std::memory_order_relaxed); }
    bool isLocked() const { return owner() != 0; }

private:
    LockStatus lockSlow(uint32_t self);

    std::atomic<uint32_t> word_{0};
};

static_assert(sizeof(SpinLock) == 4);

} // namespace osprey::mem
