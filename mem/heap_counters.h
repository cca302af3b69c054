// The bookkeeping the boundary-tag heaps (fm, tlsf) share: the counters behind HeapStats,
// kept inside the heap object (so in the managed region, valid from every process), and the
// arithmetic that turns them into HeapStats.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mem/heap_stats.h"

namespace osprey::mem {

struct HeapCounters {
    HeapCounters(size_t managed, size_t fixed)
        : total(managed), fixedOverhead(fixed), realUsed(fixed), maxRealUsed(fixed) {}

    void grew(size_t bytes) {
        realUsed += bytes;
        if (realUsed > maxRealUsed) maxRealUsed = realUsed;
    }
    void allocated(size_t bytes) {
        grew(bytes);
        ++allocCount;
    }

    // header: per-block overhead; largestBlock: size of the largest free block (0 if none).
    void fill(HeapStats& st, size_t header, size_t largestBlock) const {
        uint64_t live = allocCount - freeCount;
        st.total = total;
        st.realUsed = realUsed;
        st.used = realUsed - fixedOverhead - live * header;
        st.maxRealUsed = maxRealUsed;
        st.freeBytes = total - realUsed;
        st.freeFragments = freeFragments;
        st.largestFree = largestBlock ? largestBlock - header : 0;
        st.allocCount = allocCount;
        st.freeCount = freeCount;
        st.failCount = failCount;
    }

    size_t total;
    size_t fixedOverhead;  // the epilogue tag, counted in realUsed
    size_t realUsed;
    size_t maxRealUsed;
    size_t freeFragments = 0;
    uint64_t allocCount = 0;
    uint64_t freeCount = 0;
    uint64_t failCount = 0;
};

}  // namespace osprey::mem
