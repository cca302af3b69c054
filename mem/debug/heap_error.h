// The one-line reports of the debug allocators (qm, DebugHeap): double free, overrun,
// underrun / header corruption, pointers that are not blocks of the heap. Each names the
// block's allocation site when it is known and the site of the call that found the problem,
// so a single log line is enough to find both ends of the bug.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/alloc_site.h"

namespace osprey::mem {

enum class FragFault {
    DoubleFree,     // block already free
    Overrun,        // tail guard broken: written past the end
    HeaderCorrupt,  // record before the block damaged: written before the start (underrun)
    NotInHeap,      // pointer outside the heap's region
    Interior,       // pointer inside a block, not at its start
    NotABlock,      // inside the region but neither a block nor inside one
};

// What is known about the block a fault concerns (all optional).
struct BlockDesc {
    const void* user = nullptr;  // start of the caller's bytes
    static constexpr size_t kUnknown = SIZE_MAX;
    size_t size = kUnknown;  // bytes the caller asked for
    bool siteKnown = false;  // allocSite can be trusted
    AllocSite allocSite{};
    bool freedKnown = false;  // freedAt can be trusted (double free)
    AllocSite freedAt{};
};

// Who found the fault: an API call at a site ("free", "realloc", ...) or a check() walk.
struct FaultOrigin {
    const char* op = nullptr;  // nullptr: found by check()
    AllocSite site{};
};

// Lets a burst of reports through per second, then counts the rest; lives in the heap's
// control block (lock-free, so fine in shm). A corrupted heap in a hot loop must not flood
// the log, but a test that provokes several faults in a row must see every one.
class ErrorBudget {
public:
    static constexpr uint32_t kBurst = 32;
    bool allow(uint64_t* suppressed);

private:
    std::atomic<uint64_t> windowMs_{0};
    std::atomic<uint32_t> used_{0};
    std::atomic<uint64_t> dropped_{0};
};

// Logs one LOG_ERR line for a fault. `ptr` is the pointer the caller passed; `detail` is the
// byte offset for Overrun (first broken guard byte) and Interior (offset into the block).
void reportFault(ErrorBudget& budget, const char* heap, FragFault fault, const void* ptr,
                 const BlockDesc& block, FaultOrigin origin, size_t detail = 0);

// Logs one LOG_ERR line for a structural problem found while walking the heap.
void reportCorruption(ErrorBudget& budget, const char* heap, const void* where, const char* what,
                      FaultOrigin origin);

}  // namespace osprey::mem
