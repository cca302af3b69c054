// RedisShared: the redis store's per-node state in shm (redis_shared.h).
#include "modules/usrloc/redis_shared.h"

#include <new>

#include "mem/shm.h"

namespace osprey::usrloc {

void LatencyHistogram::add(int64_t us) {
    size_t i = 0;
    while (i < std::size(kLatencyBoundsUs) && us > int64_t{kLatencyBoundsUs[i]}) ++i;
    bucket[i].fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
    sumUs.fetch_add(static_cast<uint64_t>(us < 0 ? 0 : us), std::memory_order_relaxed);
}

RedisShared* RedisShared::create() {
    void* mem = mem::shmAllocZero(sizeof(RedisShared));
    return mem == nullptr ? nullptr : new (mem) RedisShared;
}

void RedisShared::destroy(RedisShared* s) {
    if (s == nullptr) return;
    s->~RedisShared();
    mem::shmFree(s);
}

void RedisShared::rememberAbsent(uint8_t table, uint64_t aorHash, int64_t untilMs) {
    const uint64_t k = keyOf(table, aorHash);
    Absent& a = absent_[k % kAbsentSlots];
    a.key.store(0, std::memory_order_release);  // no reader pairs the old key with the new time
    a.until.store(untilMs, std::memory_order_release);
    a.key.store(k, std::memory_order_release);
}

bool RedisShared::knownAbsent(uint8_t table, uint64_t aorHash, int64_t nowMs) const {
    const uint64_t k = keyOf(table, aorHash);
    const Absent& a = absent_[k % kAbsentSlots];
    if (a.key.load(std::memory_order_acquire) != k) return false;
    const int64_t until = a.until.load(std::memory_order_acquire);
    return a.key.load(std::memory_order_acquire) == k && nowMs < until;
}

void RedisShared::forget(uint8_t table, uint64_t aorHash) {
    const uint64_t k = keyOf(table, aorHash);
    Absent& a = absent_[k % kAbsentSlots];
    uint64_t expected = k;
    a.key.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
}

void RedisShared::forgetAll() {
    for (Absent& a : absent_) a.key.store(0, std::memory_order_release);
}

}  // namespace osprey::usrloc
