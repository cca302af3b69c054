// The contract every allocator (fm, qm, tlsf) implements. A heap manages one contiguous
// region it does not own (a private mmap for pkg, the shared segment for shm); its control
// block lives at the start of that region, so a heap in shm is usable from every process.
// Heaps do no locking: shm wraps the selected heap with a lock and per-process caches.
//
// Conventions (shared by all implementations, tested by test/unit/mem_conformance_test):
//   - returned pointers are 16-byte aligned; alloc(0) returns a unique minimal block;
//   - alloc returns nullptr when the region cannot satisfy the request (never aborts);
//   - free(nullptr) is a no-op; a pointer outside the region, or a block already free, is
//     reported through memLog and ignored;
//   - realloc(nullptr, n) == alloc(n); realloc(p, 0) frees p and returns nullptr;
//     on failure realloc returns nullptr and p stays valid and unchanged.
#pragma once
#include <concepts>
#include <cstddef>

#include "mem/alloc_site.h"
#include "mem/heap_stats.h"

namespace osprey::mem {

inline constexpr size_t kAlign = 16;

template <class H>
concept Heap = requires(H h, const H ch, void* p, size_t n, AllocSite s, HeapStats& st) {
    // Builds the heap in [base, base+size) and returns it (placed at base). nullptr if the
    // region is too small to hold the control block and one minimal block.
    { H::create(p, n) } -> std::same_as<H*>;
    { h.alloc(n, s) } -> std::same_as<void*>;
    { h.free(p, s) } -> std::same_as<void>;
    { h.realloc(p, n, s) } -> std::same_as<void*>;
    { ch.usableSize(p) } -> std::same_as<size_t>;  // bytes the caller may use at p
    { ch.owns(p) } -> std::same_as<bool>;           // p lies inside this heap's region
    { ch.stats(st) } -> std::same_as<void>;
    { H::kName } -> std::convertible_to<const char*>;
};

} // namespace osprey::mem
