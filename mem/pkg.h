// The private heap of one process: no locks, the selected allocator over a private mmap.
// Per-message structures come from here and are freed as soon as the message is done.
#pragma once
#include <cstddef>

#include "mem/alloc_site.h"
#include "mem/heap_stats.h"

namespace osprey::mem {

// Creates this process's pkg heap (call in every process after fork; a second call replaces
// the heap inherited from the parent). Returns false (and logs why) on failure.
bool pkgInit(size_t bytes);
void pkgDestroy();
bool pkgReady();

void* pkgAlloc(size_t n, AllocSite site = AllocSite::current());
void* pkgAllocZero(size_t n, AllocSite site = AllocSite::current());
void pkgFree(void* p, AllocSite site = AllocSite::current());
void* pkgRealloc(void* p, size_t n, AllocSite site = AllocSite::current());
bool pkgOwns(const void* p);

HeapStats pkgStats();
size_t pkgReportLive(int fd);

} // namespace osprey::mem
