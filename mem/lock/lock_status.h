// What a lock acquisition tells its caller, and the interface every Osprey lock offers.
// OwnerDied means the previous holder was killed inside its critical section: the caller now
// holds the lock, but the data it protects may be half-updated and should be checked/repaired.
#pragma once
#include <concepts>
#include <cstdint>

namespace osprey::mem {

enum class LockStatus : uint8_t {
    Acquired,   // normal acquisition
    OwnerDied,  // acquired from a holder that no longer exists (already logged)
};

template <class L>
concept Lockable = requires(L& l) {
    { l.lock() } -> std::same_as<LockStatus>;
    { l.tryLock() } -> std::same_as<bool>;
    { l.unlock() } -> std::same_as<void>;
};

} // namespace osprey::mem
