#include "core/app/heap_report.h"

#include <cinttypes>
#include <cstdio>

#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::app {

const char* formatHeapStats(const char* heap, const mem::HeapStats& st, char* buf, size_t size) {
    snprintf(buf, size,
             "%s: total %zu used %zu real_used %zu max_real_used %zu free %zu free_frags %zu "
             "largest_free %zu allocs %" PRIu64 " frees %" PRIu64 " failed %" PRIu64,
             heap, st.total, st.used, st.realUsed, st.maxRealUsed, st.freeBytes, st.freeFragments,
             st.largestFree, st.allocCount, st.freeCount, st.failCount);
    return buf;
}

void logHeapStats(log::Level level) {
    if (!log::enabled(level)) return;
    char buf[400];
    if (mem::pkgReady())
        LM_LOG(level, "%s", formatHeapStats("pkg", mem::pkgStats(), buf, sizeof buf));
    if (mem::shmReady())
        LM_LOG(level, "%s", formatHeapStats("shm", mem::shmStats(), buf, sizeof buf));
}

}  // namespace osprey::app
