// tm's counters in shm.
#include "modules/tm/stats.h"

#include <new>

#include "core/log/log.h"
#include "mem/shm.h"

namespace osprey::tm {

namespace {
Stats g_local;
Stats* g_stats = &g_local;
}  // namespace

Stats& stats() {
    return *g_stats;
}

bool initStats() {
    void* p = mem::shmAllocZero(sizeof(Stats));
    if (p == nullptr) return false;
    g_stats = new (p) Stats();
    return true;
}

void logStats() {
    Stats& s = stats();
    const int64_t cur = s.current.load();
    const int64_t bytes = s.shmBytes.load();
    LM_NOTICE(
        "tm stats: current %ld total %lu replied 1xx %lu 2xx %lu 3xx %lu 4xx %lu 5xx %lu "
        "6xx %lu local %lu retransmissions %lu retransmitted %lu branches %lu canceled %lu "
        "dns_failovers %lu no_shm %lu shm_bytes %ld bytes_per_transaction %ld",
        static_cast<long>(cur), static_cast<unsigned long>(s.created.load()),
        static_cast<unsigned long>(s.replied[1].load()),
        static_cast<unsigned long>(s.replied[2].load()),
        static_cast<unsigned long>(s.replied[3].load()),
        static_cast<unsigned long>(s.replied[4].load()),
        static_cast<unsigned long>(s.replied[5].load()),
        static_cast<unsigned long>(s.replied[6].load()),
        static_cast<unsigned long>(s.localReplies.load()),
        static_cast<unsigned long>(s.retransmissions.load()),
        static_cast<unsigned long>(s.retransmitted.load()),
        static_cast<unsigned long>(s.branches.load()),
        static_cast<unsigned long>(s.canceled.load()),
        static_cast<unsigned long>(s.dnsFailovers.load()),
        static_cast<unsigned long>(s.outOfMemory.load()), static_cast<long>(bytes),
        static_cast<long>(cur > 0 ? bytes / cur : 0));
}

}  // namespace osprey::tm
