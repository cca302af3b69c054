// The redis store's statistics and ul.store_stats (redis_stats.h).
#include "modules/usrloc/redis_stats.h"

#include <cstddef>
#include <string>

#include "core/stats/registry.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

namespace {

struct CounterField {
    const char* stat;  // statistic name (usrloc:store_...)
    const char* key;   // key in ul.store_stats
    std::atomic<uint64_t> RedisStoreStats::*field;
    const char* help;
};

constexpr CounterField kFields[] = {
    {"store_cache_hits", "CacheHits", &RedisStoreStats::cacheHits,
     "Lookups answered from this node's cache"},
    {"store_cache_misses", "CacheMisses", &RedisStoreStats::cacheMisses,
     "Lookups and changes that asked Redis"},
    {"store_fetch_found", "FetchFound", &RedisStoreStats::fetchFound,
     "Redis lookups that found bindings"},
    {"store_fetch_empty", "FetchEmpty", &RedisStoreStats::fetchEmpty,
     "Redis lookups that found none"},
    {"store_fetch_failed", "FetchFailed", &RedisStoreStats::fetchFailed,
     "Redis lookups without an answer (down, timeout)"},
    {"store_writes_ok", "WritesOk", &RedisStoreStats::writesOk, "Changes acknowledged by Redis"},
    {"store_writes_retried", "WritesRetried", &RedisStoreStats::writesRetried,
     "Changes sent again after a failed batch"},
    {"store_batches", "Batches", &RedisStoreStats::batches, "Pipelines written to Redis"},
    {"store_published", "Published", &RedisStoreStats::published, "Invalidations published"},
    {"store_invalidations", "Invalidations", &RedisStoreStats::invalidations,
     "Invalidations from other nodes applied"},
    {"store_rejected", "Rejected", &RedisStoreStats::rejected,
     "REGISTERs refused while Redis was down"},
    {"store_reconnects", "Connects", &RedisStoreStats::reconnects,
     "Connections made by the usrloc process"},
    {"store_queue_bytes", "QueueBytes", &RedisStoreStats::queuedBytes,
     "Bytes of changes queued for Redis"},
    {"store_pending", "Pending", &RedisStoreStats::pendingChanges,
     "Changes sent, not yet acknowledged"},
};

int64_t readField(uintptr_t index) {
    const RedisShared* sh = state().redis;
    if (sh == nullptr) return 0;
    auto& stats = const_cast<RedisShared*>(sh)->stats();
    return static_cast<int64_t>((stats.*(kFields[index].field)).load(std::memory_order_relaxed));
}

int64_t readDropped(uintptr_t) {
    const State& st = state();
    return st.ring != nullptr ? static_cast<int64_t>(st.ring->dropped()) : 0;
}

rpc::Value histogram(const LatencyHistogram& h) {
    rpc::Value v = rpc::Value::structure();
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
        const std::string name = i < std::size(kLatencyBoundsUs)
                                     ? "le_" + std::to_string(kLatencyBoundsUs[i]) + "us"
                                     : std::string("inf");
        v.add(name, h.bucket[i].load(std::memory_order_relaxed));
    }
    const uint64_t n = h.count.load(std::memory_order_relaxed);
    v.add("Count", n);
    v.add("AvgUs", n == 0 ? 0.0 : double(h.sumUs.load(std::memory_order_relaxed)) / double(n));
    return v;
}

}  // namespace

bool declareStoreStats() {
    for (size_t i = 0; i < std::size(kFields); ++i)
        if (stats::declareFunc("usrloc", kFields[i].stat, kFields[i].help, &readField, i).id == 0)
            return false;
    return stats::declareFunc("usrloc", "store_queue_dropped",
                              "Changes lost to a full queue (db_queue_size)", &readDropped)
               .id != 0;
}

rpc::Result storeStatsRpc() {
    State& st = state();
    rpc::Value v = rpc::Value::structure();
    if (st.redis == nullptr) {
        v.add("Store", "memory");
        return v;
    }
    RedisStoreStats& s = st.redis->stats();
    v.add("Store", "redis");
    v.add("Node", settings().nodeId);
    v.add("Up", int64_t{st.redis->up() ? 1 : 0});
    for (size_t i = 0; i < std::size(kFields); ++i)
        v.add(kFields[i].key, (s.*(kFields[i].field)).load(std::memory_order_relaxed));
    v.add("QueueDropped", st.ring->dropped());
    const double hits = double(s.cacheHits.load(std::memory_order_relaxed));
    const double misses = double(s.cacheMisses.load(std::memory_order_relaxed));
    v.add("CacheHitRatio", hits + misses == 0 ? 0.0 : hits / (hits + misses));
    v.add("FetchLatency", histogram(s.fetchLatency));
    v.add("WriteLatency", histogram(s.writeLatency));
    return v;
}

}  // namespace osprey::usrloc
