// The live-fragment (leak) report shared by the debug allocators: fragments still in use,
// grouped by allocation site (and call stack when recorded), largest total first.
// It works in a fixed table on the caller's stack and writes with write(2), so it never
// allocates from the heap it reports on (which may be locked, or corrupt).
#pragma once
#include <cstddef>
#include <cstdint>

#include "mem/alloc_site.h"
#include "mem/debug/stack_trace.h"

namespace osprey::mem {

class LiveReport {
public:
    static constexpr size_t kSlots = 512;      // hash table size (power of two)
    static constexpr size_t kMaxGroups = 384;  // beyond this, fragments are only counted

    explicit LiveReport(const char* heapName) : heap_(heapName) {}
    LiveReport(const LiveReport&) = delete;
    LiveReport& operator=(const LiveReport&) = delete;

    // One live fragment: `bytes` the caller asked for, `stack` may be nullptr.
    void add(AllocSite site, const CallStack* stack, size_t bytes);

    // Writes the report to fd and returns the number of fragments added.
    size_t write(int fd);

private:
    struct Group {
        AllocSite site;
        CallStack stack;
        uint64_t count;
        uint64_t bytes;
    };
    const char* heap_;
    Group groups_[kSlots] = {};
    size_t groupCount_ = 0;
    uint64_t fragments_ = 0;
    uint64_t bytes_ = 0;
    uint64_t overflowFragments_ = 0;  // fragments whose group did not fit the table
    uint64_t overflowBytes_ = 0;
};

}  // namespace osprey::mem
