// Counters every heap reports (RPC core.shmmem / core.pkgmem, osprey's stats dump).
#pragma once
#include <cstddef>
#include <cstdint>

namespace osprey::mem {

struct HeapStats {
    size_t total = 0;          // bytes managed (the region minus the heap's control block)
    size_t used = 0;           // bytes handed out to callers (requested sizes, rounded)
    size_t realUsed = 0;       // used plus per-fragment overhead (headers, tags, alignment)
    size_t maxRealUsed = 0;    // high-water mark of realUsed
    size_t freeBytes = 0;      // total - realUsed
    size_t freeFragments = 0;  // number of free blocks
    size_t largestFree = 0;    // largest block a single allocation could get now
    uint64_t allocCount = 0;   // successful allocations (realloc that moves counts once)
    uint64_t freeCount = 0;
    uint64_t failCount = 0;    // allocations refused for lack of memory
};

} // namespace osprey::mem
