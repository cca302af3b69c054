// The resolver's counters in shm, updated with relaxed atomics by every process. The first two
// carry Kamailio's names (dns:failed_dns_request, dns:slow_dns_request); the rest say how the
// cache does. Hits are not counted: a shared counter written on every hit would move its
// cache line between every worker's core.
#pragma once
#include <atomic>
#include <cstdint>

namespace osprey::dns {

struct Stats {
    std::atomic<uint64_t> failedDnsRequest{0};  // resolutions that ended without an address
    std::atomic<uint64_t> slowDnsRequest{0};    // resolutions slower than dns_slow_query_ms
    std::atomic<uint64_t> misses{0};            // lookups that queued a resolution
    std::atomic<uint64_t> resolutions{0};       // resolutions the DNS process finished
    std::atomic<uint64_t> evictions{0};         // entries dropped to make room
    std::atomic<int64_t> entries{0};            // entries in the cache now
};

// The counters (zeros in a process-local block until the cache exists).
const Stats& stats();
// The same block for the processes that count (the DNS process, lookups).
Stats& statsForUpdate();

// Master, before the statistics table is made: the counters above as group "dns" of the
// statistics framework (dns:failed_dns_request, ...), read from this block.
bool declareStats();

}  // namespace osprey::dns
