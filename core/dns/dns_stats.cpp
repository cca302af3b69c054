// The resolver's counters in the statistics framework (core/stats): group "dns", Kamailio's
// names, read from the shm block the DNS process and the lookups update (dns_stats.h).
#include "core/dns/dns_stats.h"

#include "core/stats/registry.h"

namespace osprey::dns {

namespace {

enum Field : uintptr_t { kFailed, kSlow, kMisses, kResolutions, kEvictions, kEntries };

int64_t read(uintptr_t field) {
    const Stats& s = stats();
    switch (field) {
        case kFailed:
            return static_cast<int64_t>(s.failedDnsRequest.load(std::memory_order_relaxed));
        case kSlow:
            return static_cast<int64_t>(s.slowDnsRequest.load(std::memory_order_relaxed));
        case kMisses:
            return static_cast<int64_t>(s.misses.load(std::memory_order_relaxed));
        case kResolutions:
            return static_cast<int64_t>(s.resolutions.load(std::memory_order_relaxed));
        case kEvictions:
            return static_cast<int64_t>(s.evictions.load(std::memory_order_relaxed));
        case kEntries:
            return s.entries.load(std::memory_order_relaxed);
    }
    return 0;
}

constexpr stats::Def kDefs[] = {
    stats::funcDef("failed_dns_request", &read, "resolutions that ended without an address",
                   kFailed),
    stats::funcDef("slow_dns_request", &read, "resolutions slower than dns_slow_query_ms", kSlow),
    stats::funcDef("cache_misses", &read, "lookups that queued a resolution", kMisses),
    stats::funcDef("resolutions", &read, "resolutions the DNS process finished", kResolutions),
    stats::funcDef("cache_evictions", &read, "cache entries dropped to make room", kEvictions),
    stats::funcDef("cache_entries", &read, "entries in the DNS cache now", kEntries),
};

}  // namespace

bool declareStats() {
    return stats::declareGroup("dns", kDefs);
}

}  // namespace osprey::dns
