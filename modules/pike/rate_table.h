// pike's per-source request counters: a fixed-size table in shm, set-associative (kWays slots
// per bucket, one spin lock per bucket, no global lock), so a check is a hash, one uncontended
// lock and a scan of one bucket, and a flood from a million distinct addresses costs the same
// bounded memory as a quiet day: a full bucket gives its slot least recently hit (preferring
// one that is not blocked) to the newcomer.
//
// Kamailio's rules (modules/pike/README.md): time is cut into units of sampling_time_unit
// seconds; each address keeps the hits of the current unit and of the previous one; it is
// "hot" when either reaches reqs_density_per_unit or their average does; the request that makes
// it hot gets -2 ("new red"), the next ones while it stays hot get -1, the others 1. At the end
// of a unit an address is no longer blocked unless the unit just ended was hot on its own. An
// address not hit for remove_latency seconds is forgotten. The window moves lazily, on the
// next access to a slot, so nothing ever scans the whole table on a timer.
//
// Addresses are kept as 16 bytes (IPv4 as ::ffff:a.b.c.d). Time is passed in (seconds), so
// the unit tests drive the clock.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/lock/lock_guard.h"
#include "mem/lock/spin_lock.h"

namespace osprey::net {
struct SockAddr;
}

namespace osprey::pike {

struct SourceKey {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const SourceKey&) const = default;
};

// IPv4 becomes ::ffff:a.b.c.d, so both spellings of one address share a slot.
SourceKey keyOf(const net::SockAddr& a);

enum class Verdict : int { Ok = 1, Blocked = -1, NewlyBlocked = -2 };

struct RateLimits {
    uint32_t unitSeconds = 2;      // sampling_time_unit
    uint32_t maxHits = 30;         // reqs_density_per_unit
    uint32_t removeLatency = 120;  // remove_latency (seconds)
};

// One address's counters (32 bytes: seven of them and the lock fill four cache lines).
struct Slot {
    SourceKey key;
    uint32_t lastSec = 0;  // last hit; 0: free
    uint32_t unit = 0;     // the unit hits[kCurr] counts
    uint16_t hits[2] = {0, 0};
    uint8_t red = 0;
    uint8_t pad = 0;
};
static_assert(sizeof(Slot) == 32);

inline constexpr unsigned kWays = 7;
inline constexpr unsigned kPrev = 0;
inline constexpr unsigned kCurr = 1;

struct alignas(64) Bucket {
    mem::SpinLock lock;
    uint32_t pad[7] = {};
    Slot slots[kWays];
};
static_assert(sizeof(Bucket) == 256);

// What pike.top shows of one address.
struct SourceView {
    SourceKey key;
    uint16_t hits[2];
    uint32_t expiresIn;  // seconds until it is forgotten
    bool hot;
    bool warm;  // current unit at a quarter of the limit (Kamailio's WARM)
};

struct TableCounters {
    uint64_t evicted = 0;  // live addresses pushed out by newcomers (the table was full)
};

class RateTable {
public:
    // `buckets` must be a power of two, at least 2. nullptr when shm is exhausted.
    static RateTable* create(unsigned buckets, const RateLimits& limits);
    static void destroy(RateTable* t);

    // Counts a hit of `key` at second `now` and says whether the address floods.
    Verdict hit(const SourceKey& key, uint32_t now) noexcept;
    // True when `key` is blocked now; then the hit is counted too (so a flood dropped before
    // the script keeps its address blocked). An address not blocked is not counted.
    bool hitIfBlocked(const SourceKey& key, uint32_t now) noexcept;

    // Calls f(const SourceView&) for every address still remembered, one bucket lock at a time.
    template <class F>
    void visit(uint32_t now, F&& f);

    size_t capacity() const { return (size_t{mask_} + 1) * kWays; }
    const RateLimits& limits() const { return limits_; }
    uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }

private:
    Bucket& bucketOf(const SourceKey& k) noexcept;
    bool live(const Slot& s, uint32_t now) const noexcept {
        // Signed: another process's coarse clock may be a tick behind the one that stored.
        return s.lastSec != 0 &&
               static_cast<int32_t>(now - s.lastSec) <= static_cast<int32_t>(limits_.removeLatency);
    }
    void roll(Slot& s, uint32_t now) const noexcept;
    bool hot(const Slot& s) const noexcept;
    Slot& claim(Bucket& b, const SourceKey& k, uint32_t now) noexcept;
    Slot* find(Bucket& b, const SourceKey& k, uint32_t now) noexcept;
    SourceView view(const Slot& s, uint32_t now) const noexcept;

    RateLimits limits_;
    uint32_t mask_ = 0;
    uint32_t shift_ = 63;  // 64 - log2(buckets)
    std::atomic<uint64_t> evicted_{0};
    Bucket* buckets_ = nullptr;
    void* rows_ = nullptr;  // the shm block buckets_ was aligned in
};

template <class F>
void RateTable::visit(uint32_t now, F&& f) {
    for (uint32_t i = 0; i <= mask_; ++i) {
        Bucket& b = buckets_[i];
        SourceView found[kWays];
        unsigned n = 0;
        {
            mem::LockGuard guard(b.lock);
            for (Slot& s : b.slots) {
                if (!live(s, now)) continue;
                roll(s, now);
                found[n++] = view(s, now);
            }
        }
        for (unsigned j = 0; j < n; ++j) f(found[j]);
    }
}

}  // namespace osprey::pike
