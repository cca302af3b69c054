// What the processes of one node share about the redis location store, in shm: whether the
// store process reaches Redis, the invalidation generation (so a cache fill racing with an
// invalidation is not kept), the short-lived "not registered" answers, and the counters of
// ul.store_stats. All lock-free: a word each, written by whoever knows.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace osprey::usrloc {

// Latency buckets of ul.store_stats, upper bounds in microseconds (the last is open).
inline constexpr uint32_t kLatencyBoundsUs[] = {100, 250, 500, 1000, 2500, 5000, 10000, 50000};
inline constexpr size_t kLatencyBuckets = std::size(kLatencyBoundsUs) + 1;

struct LatencyHistogram {
    std::atomic<uint64_t> bucket[kLatencyBuckets];
    std::atomic<uint64_t> count;
    std::atomic<uint64_t> sumUs;
    void add(int64_t us);
};

struct RedisStoreStats {
    std::atomic<uint64_t> cacheHits;       // lookups answered from shm (found or "none")
    std::atomic<uint64_t> cacheMisses;     // lookups that asked Redis
    std::atomic<uint64_t> fetchFound;      // ... and found bindings
    std::atomic<uint64_t> fetchEmpty;      // ... and found none
    std::atomic<uint64_t> fetchFailed;     // ... and got no answer (down, timeout)
    std::atomic<uint64_t> writesOk;        // changes acknowledged by Redis
    std::atomic<uint64_t> writesRetried;   // changes sent again after a failed batch
    std::atomic<uint64_t> batches;         // pipelines written
    std::atomic<uint64_t> published;       // invalidations sent
    std::atomic<uint64_t> invalidations;   // invalidations from other nodes applied
    std::atomic<uint64_t> rejected;        // REGISTERs refused (redis_down_policy "reject")
    std::atomic<uint64_t> reconnects;      // connections (re)made by the store process
    std::atomic<uint64_t> queuedBytes;     // change-ring bytes waiting (last look)
    std::atomic<uint64_t> pendingChanges;  // drained but not yet acknowledged
    LatencyHistogram fetchLatency;         // HGETALL of a lookup that missed
    LatencyHistogram writeLatency;         // one pipeline, first command to last reply
};

class RedisShared {
public:
    static RedisShared* create();  // in shm, zeroed
    static void destroy(RedisShared* s);

    bool up() const { return up_.load(std::memory_order_acquire) != 0; }
    void setUp(bool u) { up_.store(u ? 1 : 0, std::memory_order_release); }

    // Bumped before an invalidated AOR is dropped; a fill keeps its result only when the
    // generation it read before asking Redis is still current (checked under the slot lock).
    uint64_t generation() const { return gen_.load(std::memory_order_acquire); }
    void bumpGeneration() { gen_.fetch_add(1, std::memory_order_acq_rel); }
    const std::atomic<uint64_t>& generationWord() const { return gen_; }

    // "aor of table has no binding" until untilMs (monotonic).
    void rememberAbsent(uint8_t table, uint64_t aorHash, int64_t untilMs);
    bool knownAbsent(uint8_t table, uint64_t aorHash, int64_t nowMs) const;
    void forget(uint8_t table, uint64_t aorHash);
    void forgetAll();

    RedisStoreStats& stats() { return stats_; }

private:
    static constexpr size_t kAbsentSlots = 4096;
    struct Absent {
        std::atomic<uint64_t> key;
        std::atomic<int64_t> until;
    };
    static uint64_t keyOf(uint8_t table, uint64_t aorHash) {
        return (aorHash ^ (uint64_t{table} * 0x9e3779b97f4a7c15ull)) | 1;  // 0 = empty
    }

    std::atomic<uint32_t> up_;
    std::atomic<uint64_t> gen_;
    Absent absent_[kAbsentSlots];
    RedisStoreStats stats_;
};

}  // namespace osprey::usrloc
