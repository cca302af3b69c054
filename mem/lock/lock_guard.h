// RAII guards for every Osprey lock. LockGuard pins a lock to one scope. UniqueGuard can be
// moved, so a lookup that must keep a hash bucket locked returns the guard together with the
// result; the lock is released when the last owner of the guard goes out of scope.
#pragma once
#include <utility>

#include "mem/lock/lock_status.h"
#include "mem/lock/thread_id.h"

namespace osprey::mem {

template <Lockable L>
class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(L& lock) : lock_(lock), status_(lock.lock()) {
        if (status_ == LockStatus::OwnerDied) [[unlikely]]
            deadOwner_ = lastDeadOwner();
    }
    ~LockGuard() { lock_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

    LockStatus status() const { return status_; }
    // The previous holder died inside the critical section: check what the lock protects.
    bool ownerDied() const { return status_ == LockStatus::OwnerDied; }
    // The id of the holder that died (0 unless ownerDied()), for the repair's log line.
    uint32_t deadOwner() const { return deadOwner_; }

private:
    L& lock_;
    LockStatus status_;
    uint32_t deadOwner_ = 0;
};

struct TryToLock {};
inline constexpr TryToLock tryToLock{};

template <Lockable L>
class [[nodiscard]] UniqueGuard {
public:
    UniqueGuard() = default;
    explicit UniqueGuard(L& lock) : lock_(&lock), status_(lock.lock()) {
        if (status_ == LockStatus::OwnerDied) [[unlikely]]
            deadOwner_ = lastDeadOwner();
    }
    // Takes the lock only if it is free now; check ownsLock().
    UniqueGuard(L& lock, TryToLock) : lock_(lock.tryLock() ? &lock : nullptr) {}
    ~UniqueGuard() { unlock(); }

    UniqueGuard(UniqueGuard&& o) noexcept
        : lock_(std::exchange(o.lock_, nullptr)), status_(o.status_), deadOwner_(o.deadOwner_) {}
    UniqueGuard& operator=(UniqueGuard&& o) noexcept {
        if (this != &o) {
            unlock();
            lock_ = std::exchange(o.lock_, nullptr);
            status_ = o.status_;
            deadOwner_ = o.deadOwner_;
        }
        return *this;
    }
    UniqueGuard(const UniqueGuard&) = delete;
    UniqueGuard& operator=(const UniqueGuard&) = delete;

    bool ownsLock() const { return lock_ != nullptr; }
    explicit operator bool() const { return ownsLock(); }
    LockStatus status() const { return status_; }
    bool ownerDied() const { return status_ == LockStatus::OwnerDied; }
    uint32_t deadOwner() const { return deadOwner_; }
    L* mutex() const { return lock_; }

    // Unlocks early; the guard then owns nothing.
    void unlock() {
        if (lock_) std::exchange(lock_, nullptr)->unlock();
    }
    // Gives up ownership without unlocking: the caller now must unlock the returned lock.
    [[nodiscard]] L* release() { return std::exchange(lock_, nullptr); }

private:
    L* lock_ = nullptr;
    LockStatus status_ = LockStatus::Acquired;
    uint32_t deadOwner_ = 0;
};

}  // namespace osprey::mem
