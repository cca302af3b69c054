// The private heap (pkg.h): the selected allocator over a private anonymous mapping, one per
// process, no locking. A forked child inherits its parent's mapping (copy-on-write); pkgInit
// in the child unmaps that copy and builds a fresh, empty heap.
#include "mem/pkg.h"

#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mem/heap_extras.h"
#include "mem/mem_log.h"
#include "mem/selected_heap.h"

namespace osprey::mem {

namespace {

struct Region {
    void* base = nullptr;
    size_t bytes = 0;
    SelectedHeap* heap = nullptr;
};

Region g;
RateLimit g_oomLog;
RateLimit g_uninitLog;

bool ready(const char* op) {
    if (g.heap) [[likely]]
        return true;
    uint64_t dropped = 0;
    if (g_uninitLog.allow(&dropped))
        memLog(LOG_ERR, "pkg: %s before pkgInit (%llu similar suppressed)", op,
               static_cast<unsigned long long>(dropped));
    return false;
}

void logOutOfMemory(size_t n, AllocSite site) {
    uint64_t dropped = 0;
    if (!g_oomLog.allow(&dropped)) return;
    HeapStats st;
    g.heap->stats(st);
    memLog(LOG_ERR,
           "pkg: out of memory: %zu bytes for %s:%u (%s); free %zu of %zu, largest free "
           "block %zu (%llu similar suppressed)",
           n, site.file_name(), static_cast<unsigned>(site.line()), site.function_name(),
           st.freeBytes, st.total, st.largestFree, static_cast<unsigned long long>(dropped));
}

} // namespace

bool pkgInit(size_t bytes) {
    pkgDestroy();  // the parent's heap, when called in a forked child
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    bytes = (bytes + page - 1) & ~(page - 1);
    if (bytes == 0) {
        memLog(LOG_ERR, "pkg: a heap of 0 bytes was requested");
        return false;
    }
    void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        memLog(LOG_ERR, "pkg: cannot map %zu bytes: %s", bytes, strerror(errno));
        return false;
    }
    SelectedHeap* heap = SelectedHeap::create(base, bytes);
    if (!heap) {
        memLog(LOG_ERR, "pkg: cannot build the %s heap in %zu bytes", SelectedHeap::kName, bytes);
        munmap(base, bytes);
        return false;
    }
    g = Region{base, bytes, heap};
    return true;
}

void pkgDestroy() {
    if (!g.base) return;
    munmap(g.base, g.bytes);
    g = Region{};
}

bool pkgReady() { return g.heap != nullptr; }

void* pkgAlloc(size_t n, AllocSite site) {
    if (!ready("pkgAlloc")) return nullptr;
    void* p = g.heap->alloc(n, site);
    if (!p) [[unlikely]]
        logOutOfMemory(n, site);
    return p;
}

void* pkgAllocZero(size_t n, AllocSite site) {
    void* p = pkgAlloc(n, site);
    if (p) memset(p, 0, n);
    return p;
}

void pkgFree(void* p, AllocSite site) {
    if (!p || !ready("pkgFree")) return;
    g.heap->free(p, site);
}

void* pkgRealloc(void* p, size_t n, AllocSite site) {
    if (!ready("pkgRealloc")) return nullptr;
    void* q = g.heap->realloc(p, n, site);
    if (!q && n != 0 && (!p || g.heap->owns(p))) [[unlikely]]
        logOutOfMemory(n, site);
    return q;
}

bool pkgOwns(const void* p) { return g.heap && g.heap->owns(p); }

HeapStats pkgStats() {
    HeapStats st;
    if (g.heap) g.heap->stats(st);
    return st;
}

size_t pkgReportLive(int fd) {
    if (!ready("pkgReportLive")) return 0;
    return heapReportLive(*g.heap, fd, "pkg");
}

} // namespace osprey::mem
