// The shared-memory heap: one MAP_SHARED segment created by the master before fork, so every
// pointer into it is valid in every process. The selected allocator (make MEMMNG=...) manages
// it behind a lock; small sizes go through a per-process cache first, so the common case
// takes no shared lock. A block may be freed by any process.
#pragma once
#include <cstddef>

#include "mem/alloc_site.h"
#include "mem/heap_stats.h"

namespace osprey::mem {

// Master, before fork. Returns false (and logs why) if the segment cannot be created.
bool shmInit(size_t bytes);
// Master, after every child has exited. Unmaps the segment.
void shmDestroy();
bool shmReady();

// In every process after fork: resets the per-process cache (a child must not use the
// parent's cached blocks twice). `slot` is a small unique process index (< kMaxProcesses);
// slot 0 is taken by the process that called shmInit, so children use 1, 2, ...
// Until it is called, a forked child works uncached (every operation takes the lock).
void shmChildInit(unsigned slot);
inline constexpr unsigned kMaxProcesses = 256;

void* shmAlloc(size_t n, AllocSite site = AllocSite::current());
void* shmAllocZero(size_t n, AllocSite site = AllocSite::current());
void shmFree(void* p, AllocSite site = AllocSite::current());
void* shmRealloc(void* p, size_t n, AllocSite site = AllocSite::current());
bool shmOwns(const void* p);

// True when the calling thread serves small sizes from the per-process cache: after shmInit
// or shmChildInit, in the thread that called it, in builds whose allocator does not record
// allocation sites (fm, tlsf; qm and MEMDBG=1 builds take the lock for every operation).
bool shmCaching();

// Returns this process's cached blocks to the shared heap (before exit, or when an
// allocation fails so cached memory can be reused for another size).
void shmFlushCache();

// Master, after reaping a child: gives the blocks cached by the dead process `pid` back to the
// heap (a live process's cache is left alone). Returns the bytes given back. An allocation that
// fails also takes back every other process's cache, dead or alive (docs/shm-cache.md).
size_t shmReclaimDeadProcess(int pid);

// Takes back every process's cache now, as a failed allocation does. Returns the bytes given
// back to the heap.
size_t shmReclaimAllCaches();

// Tests only: marks this process as inside (or out of) a cache operation, as if it had been
// stopped or killed in one, to prove that reclaiming neither waits forever nor corrupts.
void shmTestHoldCacheOp(bool inside);

// Bytes sitting in all per-process caches now (shmStats counts them as free).
size_t shmCachedBytes();

// Stats of the shared heap, with blocks sitting in per-process caches counted as free.
HeapStats shmStats();
// Runs the allocator's consistency walk under the lock (qm and MEMDBG=1 builds walk every
// fragment and guard); true when it found nothing wrong. Problems are logged by the walk.
bool shmCheck();
// Writes a report of live fragments grouped by allocation site (qm / MEMDBG builds; other
// builds write one line saying the report needs them). Returns the number of live fragments.
size_t shmReportLive(int fd);

}  // namespace osprey::mem
