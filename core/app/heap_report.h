// One log line per heap with its counters, written at start-up and on SIGUSR1:
//   shm: total .. used .. real_used .. max_real_used .. free .. free_frags .. largest_free ..
//        allocs .. frees .. failed ..
#pragma once
#include <cstddef>

#include "core/log/log.h"
#include "mem/heap_stats.h"

namespace osprey::app {

// Formats the counters of one heap into buf; returns buf.
const char* formatHeapStats(const char* heap, const mem::HeapStats& st, char* buf, size_t size);
// Logs the pkg heap (when ready) and the shm heap (when ready) of this process.
void logHeapStats(log::Level level);

}  // namespace osprey::app
