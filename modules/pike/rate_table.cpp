// pike's counters (rate_table.h).
#include "modules/pike/rate_table.h"

#include <cstring>
#include <new>

#include "core/net/sock_addr.h"
#include "mem/lock/lock_set.h"
#include "mem/shm.h"

namespace osprey::pike {

SourceKey keyOf(const net::SockAddr& a) {
    uint8_t b[16];
    net::ipBytes16(a, b);
    SourceKey k;
    memcpy(&k.hi, b, 8);
    memcpy(&k.lo, b + 8, 8);
    return k;
}

RateTable* RateTable::create(unsigned buckets, const RateLimits& limits) {
    if (buckets < 2 || (buckets & (buckets - 1)) != 0) return nullptr;
    void* mem = mem::shmAllocZero(sizeof(RateTable));
    // shm blocks are 8-aligned; buckets start on a cache line (as mem/lock/lock_set.h does).
    void* rows = mem::shmAllocZero(sizeof(Bucket) * buckets + mem::kCacheLine);
    if (mem == nullptr || rows == nullptr) {
        if (mem != nullptr) mem::shmFree(mem);
        if (rows != nullptr) mem::shmFree(rows);
        return nullptr;
    }
    auto* t = new (mem) RateTable();
    t->limits_ = limits;
    t->mask_ = buckets - 1;
    t->shift_ = 64 - static_cast<uint32_t>(__builtin_ctz(buckets));
    t->rows_ = rows;
    const uintptr_t first = (reinterpret_cast<uintptr_t>(rows) + mem::kCacheLine - 1) &
                            ~(uintptr_t{mem::kCacheLine} - 1);
    t->buckets_ = new (reinterpret_cast<void*>(first)) Bucket[buckets];
    return t;
}

void RateTable::destroy(RateTable* t) {
    if (t == nullptr) return;
    mem::shmFree(t->rows_);
    t->~RateTable();
    mem::shmFree(t);
}

Bucket& RateTable::bucketOf(const SourceKey& k) noexcept {
    // An IPv4 address sits in the top half of `lo` (bytes 12..15, little-endian), with its
    // last octets -- what differs between neighbours -- in the very top bits: fold the halves
    // together, then take the top bits of a multiplication (Fibonacci hashing), which depend
    // on every input bit.
    uint64_t x = k.hi * 0xC2B2AE3D27D4EB4Full + k.lo;
    x ^= x >> 32;
    x *= 0x9E3779B97F4A7C15ull;
    return buckets_[x >> shift_];
}

// Moves the window to the unit of `now` (Kamailio's swap at the end of every unit, done when
// the slot is next touched): the unit just ended becomes the previous one, an older one counts
// nothing; an address stays blocked only if the unit just ended was hot on its own.
void RateTable::roll(Slot& s, uint32_t now) const noexcept {
    const uint32_t unit = now / limits_.unitSeconds;
    if (static_cast<int32_t>(unit - s.unit) <= 0) return;  // same unit (or a clock a tick behind)
    s.hits[kPrev] = (unit == s.unit + 1) ? s.hits[kCurr] : 0;
    s.hits[kCurr] = 0;
    s.unit = unit;
    if (s.red != 0 && !hot(s)) s.red = 0;
}

bool RateTable::hot(const Slot& s) const noexcept {
    const uint32_t prev = s.hits[kPrev];
    const uint32_t curr = s.hits[kCurr];
    return prev >= limits_.maxHits || curr >= limits_.maxHits ||
           (prev + curr) / 2 >= limits_.maxHits;
}

Slot* RateTable::find(Bucket& b, const SourceKey& k, uint32_t now) noexcept {
    for (Slot& s : b.slots) {
        if (s.key == k && live(s, now)) return &s;
    }
    return nullptr;
}

// A slot for a new address: a free or forgotten one, else the one hit least recently among
// those not blocked (a blocked flooder is the last thing to forget), else the oldest of all.
Slot& RateTable::claim(Bucket& b, const SourceKey& k, uint32_t now) noexcept {
    Slot* victim = nullptr;
    Slot* oldestRed = nullptr;
    for (Slot& s : b.slots) {
        if (!live(s, now)) {
            victim = &s;
            break;
        }
        Slot*& pick = s.red != 0 ? oldestRed : victim;
        if (pick == nullptr || s.lastSec < pick->lastSec) pick = &s;
    }
    if (victim == nullptr) victim = oldestRed;
    if (live(*victim, now)) evicted_.fetch_add(1, std::memory_order_relaxed);
    *victim = Slot{};
    victim->key = k;
    victim->unit = now / limits_.unitSeconds;
    return *victim;
}

Verdict RateTable::hit(const SourceKey& key, uint32_t now) noexcept {
    Bucket& b = bucketOf(key);
    mem::LockGuard guard(b.lock);
    Slot* found = find(b, key, now);
    Slot& s = found != nullptr ? *found : claim(b, key, now);
    roll(s, now);
    s.lastSec = now;
    if (s.hits[kCurr] < UINT16_MAX - 1) ++s.hits[kCurr];
    if (s.red != 0) return Verdict::Blocked;
    if (!hot(s)) return Verdict::Ok;
    s.red = 1;
    return Verdict::NewlyBlocked;
}

bool RateTable::hitIfBlocked(const SourceKey& key, uint32_t now) noexcept {
    Bucket& b = bucketOf(key);
    mem::LockGuard guard(b.lock);
    Slot* s = find(b, key, now);
    if (s == nullptr) return false;
    roll(*s, now);
    if (s->red == 0) return false;
    s->lastSec = now;
    if (s->hits[kCurr] < UINT16_MAX - 1) ++s->hits[kCurr];
    return true;
}

SourceView RateTable::view(const Slot& s, uint32_t now) const noexcept {
    SourceView v;
    v.key = s.key;
    v.hits[kPrev] = s.hits[kPrev];
    v.hits[kCurr] = s.hits[kCurr];
    v.expiresIn = s.lastSec + limits_.removeLatency - now;
    v.hot = hot(s);
    v.warm = s.hits[kCurr] >= limits_.maxHits / 4;
    return v;
}

}  // namespace osprey::pike
