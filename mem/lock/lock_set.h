// Lock striping: an array of locks indexed by hash & mask, so tables in shm lock one stripe
// (or one bucket) instead of the whole table. Each lock sits on its own cache line so busy
// neighbouring stripes do not slow each other down. Both forms are placeable in shm.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>

#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_status.h"

namespace osprey::mem {

inline constexpr size_t kCacheLine = 64;

template <Lockable L>
struct alignas(kCacheLine) PaddedLock {
    L lock;
};

// Compile-time number of stripes (a power of two).
template <size_t N, Lockable L = FutexMutex>
class LockSet {
    static_assert(N > 0 && (N & (N - 1)) == 0, "stripe count must be a power of two");

public:
    L& forHash(uint64_t hash) { return stripes_[hash & (N - 1)].lock; }
    L& at(size_t i) { return stripes_[i].lock; }
    static constexpr size_t size() { return N; }

private:
    PaddedLock<L> stripes_[N];
};

// Stripe count chosen at run time (e.g. from a module parameter). Built in caller-provided
// memory, typically from shmAlloc: RuntimeLockSet::create(shmAlloc(bytesFor(n)), n).
template <Lockable L = FutexMutex>
class RuntimeLockSet {
public:
    static constexpr size_t bytesFor(size_t n) {
        return sizeof(RuntimeLockSet) + kCacheLine + n * sizeof(PaddedLock<L>);
    }
    // n must be a non-zero power of two and mem at least bytesFor(n) bytes; nullptr otherwise.
    static RuntimeLockSet* create(void* mem, size_t n) {
        if (!mem || n == 0 || (n & (n - 1)) != 0 || n > UINT32_MAX) return nullptr;
        auto* set = new (mem) RuntimeLockSet;
        set->mask_ = static_cast<uint32_t>(n - 1);
        uintptr_t first = reinterpret_cast<uintptr_t>(set + 1);
        first = (first + kCacheLine - 1) & ~(uintptr_t{kCacheLine} - 1);
        set->offset_ = static_cast<uint32_t>(first - reinterpret_cast<uintptr_t>(set));
        for (size_t i = 0; i < n; ++i) new (set->stripes() + i) PaddedLock<L>;
        return set;
    }

    L& forHash(uint64_t hash) { return stripes()[hash & mask_].lock; }
    L& at(size_t i) { return stripes()[i].lock; }
    size_t size() const { return size_t{mask_} + 1; }

private:
    RuntimeLockSet() = default;
    PaddedLock<L>* stripes() {
        return std::launder(reinterpret_cast<PaddedLock<L>*>(reinterpret_cast<char*>(this) + offset_));
    }

    uint32_t mask_ = 0;
    uint32_t offset_ = 0;
};

} // namespace osprey::mem
