// The shared-memory heap (shm.h): one MAP_SHARED segment holding a control header and the
// selected allocator; a process-shared lock around the allocator and a per-process cache
// (shm_cache.h) in front of it for sizes up to 16 KiB. An allocation the heap refuses first
// takes back what every process's cache holds (reclaimOtherCaches), and the master gives a
// dead process's cache back to the heap (shmReclaimDeadProcess); docs/shm-cache.md.
//
// Segment layout: [ShmHeader | SelectedHeap control block and blocks ...]. Everything in it
// holds only pointers into the segment, which is mapped at the same address in every process
// because it is created before the first fork.
//
// The cache is used only by the thread that called shmInit / shmChildInit in a process (other
// threads, and a forked child before its shmChildInit, go straight to the locked heap), and
// not at all when the allocator records allocation sites (qm, MEMDBG=1): there it would hide
// double frees and attribute reused blocks to the wrong call site.
#include "mem/shm.h"

#include <pthread.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "mem/heap_extras.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/lock/test_die.h"
#include "mem/lock/thread_id.h"
#include "mem/mem_log.h"
#include "mem/selected_heap.h"
#include "mem/shm_cache.h"

namespace osprey::mem {

namespace {

using namespace shmcache;

constexpr uint64_t kMagic = 0x6f73707265797368ULL;  // "ospreysh"

constexpr bool kHeapRecordsSites = HeapReportsLive<SelectedHeap>;
constexpr bool kCacheEnabled = !kHeapRecordsSites;

struct ShmHeader {
    uint64_t magic = kMagic;
    size_t mapBytes = 0;
    SelectedHeap* heap = nullptr;
    alignas(64) FutexMutex lock;
    // One reclaimer at a time takes other processes' caches back (never held by an owner in
    // a cache operation; taken before the heap lock).
    alignas(64) FutexMutex reclaimLock;
    // Bumped by a process that ran out of memory: every process returns its whole cache to
    // the heap at its next refill or trim. Only matters where reclaiming could not take a
    // cache (no membarrier in the kernel, an owner descheduled for the whole wait).
    alignas(64) std::atomic<uint32_t> flushEpoch{0};
    RateLimit oomLog;
    RateLimit misuseLog;
    RateLimit reclaimLog;
    CacheSlot slots[kMaxProcesses];
};

struct Segment {
    char* base = nullptr;
    ShmHeader* hdr = nullptr;
    SelectedHeap* heap = nullptr;
};

Segment g;
ProcessCache g_cache;
uint32_t g_seenEpoch = 0;
// The cache belongs to one thread per process (see the file comment).
thread_local bool t_useCache = false;

RateLimit g_uninitLog;

void forgetCacheInChild() {
    g_cache.forget();
    t_useCache = false;
}

void returnWholeCacheLocked(SelectedHeap* heap);

// The allocator lock was taken over from a holder that was killed inside it, perhaps half way
// through splitting or merging a block. No allocator can repair its lists in place (they are
// the only record of what is free), so this runs the allocator's own consistency walk, which
// also logs what it finds, and says once per recovery how it came out. A consistent heap
// serves on; a corrupt one is logged at LOG_CRIT for the operator to restart the server.
// Blocks the dead process kept in its cache (shm_cache.h) go back to the heap when the master
// notices the death (shmReclaimDeadProcess) or the next allocation fails.
void recoverFromDeadHolder(uint32_t deadPid) {
    const bool ok = heapConsistent(*g.heap);
    memLog(ok ? LOG_WARNING : LOG_CRIT,
           "shm: recovered the allocator lock from dead process %u; heap check: %s%s", deadPid,
           ok ? "consistent" : "CORRUPT", ok ? "" : ", restart the server");
}

// The heap with the segment lock held; a previous holder that died mid-operation is recovered
// from first (recoverFromDeadHolder).
class LockedHeap {
public:
    LockedHeap() : guard_(g.hdr->lock) {
        if (guard_.ownerDied()) [[unlikely]]
            recoverFromDeadHolder(guard_.deadOwner());
        testDiePoint(DieSite::ShmAlloc);
        if (t_useCache) {
            uint32_t epoch = g.hdr->flushEpoch.load(std::memory_order_relaxed);
            if (epoch != g_seenEpoch) [[unlikely]] {
                g_seenEpoch = epoch;
                returnWholeCacheLocked(g.heap);
            }
        }
    }
    SelectedHeap* operator->() const { return g.heap; }

private:
    LockGuard<FutexMutex> guard_;
};

void returnClassLocked(SelectedHeap* heap, unsigned c, unsigned max) {
    void* blocks[kMaxBatch];
    while (max > 0) {
        unsigned n = g_cache.take(c, std::min(max, kMaxBatch), blocks);
        if (n == 0) break;
        for (unsigned i = 0; i < n; ++i) heap->free(blocks[i]);
        max -= n;
    }
}

// Only the cache's own thread may touch it; for any other caller this is a no-op.
void returnWholeCacheLocked(SelectedHeap* heap) {
    if (!t_useCache || !g_cache.attached()) return;
    for (unsigned c = 0; c < kClassCount; ++c) returnClassLocked(heap, c, ~0u);
}

bool ready(const char* op) {
    if (g.heap) [[likely]]
        return true;
    uint64_t dropped = 0;
    if (g_uninitLog.allow(&dropped))
        memLog(LOG_ERR, "shm: %s before shmInit (%llu similar suppressed)", op,
               static_cast<unsigned long long>(dropped));
    return false;
}

void logOutOfMemory(size_t n, AllocSite site) {
    uint64_t dropped = 0;
    if (!g.hdr->oomLog.allow(&dropped)) return;
    HeapStats st = shmStats();
    memLog(LOG_ERR,
           "shm: out of memory: %zu bytes for %s:%u (%s); free %zu of %zu, largest free "
           "block %zu (%llu similar suppressed)",
           n, site.file_name(), static_cast<unsigned>(site.line()), site.function_name(),
           st.freeBytes, st.total, st.largestFree, static_cast<unsigned long long>(dropped));
}

bool plausibleBlock(const void* p) {
    return g.heap->owns(p) && reinterpret_cast<uintptr_t>(p) % alignof(CacheLink) == 0;
}
// The caller holds the heap lock.
void giveToHeap(void* p) {
    g.heap->free(p);
}

// A reclaimer that died holding reclaimLock may have left give-back requests behind; clearing
// them is always safe (the owners just resume using their lists). Blocks it had detached but
// not yet freed are lost, at most one cache.
void recoverFromDeadReclaimer(uint32_t deadPid) {
    for (CacheSlot& s : g.hdr->slots) s.stealReq.store(0, std::memory_order_release);
    memLog(LOG_WARNING, "shm: recovered the cache reclaim lock from dead process %u", deadPid);
}

// Gives the lists of a slot whose owner is excluded (or dead) back to the heap.
Drained drainSlot(CacheSlot& s) {
    LockedHeap heap;
    return drainLists(s, plausibleBlock, giveToHeap);
}

void logDeadDrain(int32_t pid, const Drained& d) {
    memLog(d.dropped ? LOG_WARNING : LOG_NOTICE,
           "shm: gave back %llu bytes (%llu blocks) cached by dead process %d%s",
           static_cast<unsigned long long>(d.bytes), static_cast<unsigned long long>(d.blocks),
           static_cast<int>(pid), d.dropped ? "; it died changing its cache, a few are lost" : "");
}

// How long a reclaimer waits for one owner descheduled inside a cache operation.
constexpr uint32_t kOwnerWaitMs = 20;

// Takes back what every other process's cache holds, without their cooperation (the handshake
// of shm_cache.h). Called without the heap lock; returns the bytes given back to the heap.
uint64_t reclaimOtherCaches() {
    if (!kCacheEnabled) return 0;
    LockGuard<FutexMutex> guard(g.hdr->reclaimLock);
    if (guard.ownerDied()) [[unlikely]]
        recoverFromDeadReclaimer(guard.deadOwner());
    const CacheSlot* mine = t_useCache ? g_cache.slot() : nullptr;
    bool asked[kMaxProcesses] = {};
    bool any = false, expedited = true;
    for (unsigned i = 0; i < kMaxProcesses; ++i) {
        CacheSlot& s = g.hdr->slots[i];
        // The count is the owner's, read racily: only a hint of whom to ask.
        if (&s == mine || s.cachedBlocks.load(std::memory_order_relaxed) == 0) continue;
        s.stealReq.store(1, std::memory_order_relaxed);
        asked[i] = any = true;
        expedited = expedited && s.fenced.load(std::memory_order_relaxed) != 0;
    }
    if (!any) return 0;
    const bool fenced = asymmetricHeavyFence(expedited);
    uint64_t bytes = 0;
    unsigned busy = 0;
    for (unsigned i = 0; i < kMaxProcesses; ++i) {
        if (!asked[i]) continue;
        CacheSlot& s = g.hdr->slots[i];
        Quiet q = fenced ? waitOwnerQuiet(s, kOwnerWaitMs) : Quiet::Busy;
        if (q != Quiet::Busy) {
            Drained d = drainSlot(s);
            bytes += d.bytes;
            if (q == Quiet::OwnerDead) logDeadDrain(s.ownerPid.load(), d);
        } else {
            ++busy;
        }
        s.stealReq.store(0, std::memory_order_release);
    }
    uint64_t dropped = 0;
    if (busy && g.hdr->reclaimLog.allow(&dropped))
        memLog(LOG_WARNING,
               "shm: could not take back %u process cache(s)%s (%llu similar suppressed)", busy,
               fenced ? ": owner busy" : ": no membarrier",
               static_cast<unsigned long long>(dropped));
    return bytes;
}

// Second chance after the heap refused n bytes: give this process's cache back, take back
// every other process's cache, and retry once. Processes whose cache could not be taken
// return it themselves at their next refill or trim (flushEpoch).
void* allocAfterFailure(size_t n, AllocSite site) {
    reclaimOtherCaches();
    void* p;
    {
        LockedHeap heap;
        returnWholeCacheLocked(g.heap);
        g.hdr->flushEpoch.fetch_add(1, std::memory_order_relaxed);
        g_seenEpoch = g.hdr->flushEpoch.load(std::memory_order_relaxed);
        p = heap->alloc(n, site);
    }
    if (!p) logOutOfMemory(n, site);
    return p;
}

void* allocLocked(size_t n, AllocSite site) {
    void* p;
    {
        LockedHeap heap;
        p = heap->alloc(n, site);
    }
    return p ? p : allocAfterFailure(n, site);
}

// The class list is empty: take a batch of blocks from the heap under one lock acquisition.
[[gnu::noinline]] void* refill(unsigned c, size_t n, AllocSite site) {
    if (g_cache.bypassed()) return allocLocked(n, site);  // a reclaimer holds the lists
    void* blocks[kMaxBatch];
    unsigned want = batchFor(c), got = 0;
    {
        LockedHeap heap;
        for (size_t size = classSize(c); got < want; ++got) {
            blocks[got] = heap->alloc(size, site);
            if (!blocks[got]) break;
        }
    }
    if (got == 0) return allocAfterFailure(n, site);
    if (!g_cache.addFromHeap(c, blocks + 1, got - 1)) {
        LockedHeap heap;  // a reclaimer took the lists meanwhile: keep one block only
        for (unsigned i = 1; i < got; ++i) heap->free(blocks[i]);
        got = 1;
    }
    g_cache.countFromHeap(got);
    g_cache.countHandedOut();
    return blocks[0];
}

// The cache grew past a class's high-water mark or the per-process byte cap.
[[gnu::noinline]] void trim(unsigned c) {
    LockedHeap heap;
    if (g_cache.overHighWater(c)) returnClassLocked(g.heap, c, batchFor(c));
    // Over the cap: give back whole classes, biggest blocks first, down to half the cap.
    for (unsigned k = kClassCount; k-- > 0 && g_cache.bytes() > g_cache.capBytes() / 2;)
        returnClassLocked(g.heap, k, ~0u);
}

void logMisuse(const char* what, const void* p, AllocSite site) {
    uint64_t dropped = 0;
    if (g.hdr->misuseLog.allow(&dropped))
        memLog(LOG_ERR, "shm: %s %p at %s:%u (%s) (%llu similar suppressed)", what, p,
               site.file_name(), static_cast<unsigned>(site.line()), site.function_name(),
               static_cast<unsigned long long>(dropped));
}

}  // namespace

bool shmInit(size_t bytes) {
    if (g.base) {
        memLog(LOG_ERR, "shm: shmInit called twice");
        return false;
    }
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t headerBytes = (sizeof(ShmHeader) + 63) & ~size_t{63};
    bytes = (bytes + page - 1) & ~(page - 1);
    if (bytes <= headerBytes) {
        memLog(LOG_ERR, "shm: segment of %zu bytes is too small", bytes);
        return false;
    }
    void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        memLog(LOG_ERR, "shm: cannot map %zu bytes: %s", bytes, strerror(errno));
        return false;
    }
    auto* hdr = new (base) ShmHeader;
    hdr->mapBytes = bytes;
    hdr->heap = SelectedHeap::create(static_cast<char*>(base) + headerBytes, bytes - headerBytes);
    if (!hdr->heap) {
        memLog(LOG_ERR, "shm: cannot build the %s heap in %zu bytes", SelectedHeap::kName, bytes);
        munmap(base, bytes);
        return false;
    }
    g = Segment{static_cast<char*>(base), hdr, hdr->heap};

    static bool atforkRegistered = false;
    if (!atforkRegistered)
        atforkRegistered = pthread_atfork(nullptr, nullptr, forgetCacheInChild) == 0;
    shmChildInit(0);  // the creating process caches through slot 0
    return true;
}

void shmDestroy() {
    if (!g.base) return;
    g_cache.forget();
    t_useCache = false;
    munmap(g.base, g.hdr->mapBytes);
    g = Segment{};
}

bool shmReady() {
    return g.heap != nullptr;
}

bool shmCaching() {
    return t_useCache;
}

void shmChildInit(unsigned slot) {
    if (!ready("shmChildInit")) return;
    g_cache.forget();
    t_useCache = false;
    if (slot >= kMaxProcesses) {
        memLog(LOG_ERR, "shm: process slot %u out of range (< %u); this process runs uncached",
               slot, kMaxProcesses);
        return;
    }
    if (!kCacheEnabled) return;
    CacheSlot& s = g.hdr->slots[slot];
    int32_t self = static_cast<int32_t>(getpid());
    {
        LockGuard<FutexMutex> guard(g.hdr->reclaimLock);
        if (guard.ownerDied()) [[unlikely]]
            recoverFromDeadReclaimer(guard.deadOwner());
        int32_t prev = s.ownerPid.load(std::memory_order_relaxed);
        if (prev != 0 && prev != self) {
            if (!threadGone(static_cast<uint32_t>(prev))) {
                // Two owners of one slot would corrupt its lists.
                memLog(LOG_WARNING,
                       "shm: process slot %u is also used by live process %d; "
                       "this process runs uncached",
                       slot, prev);
                return;
            }
            // The master gives a dead process's cache back when it reaps it; this covers a
            // process that was not reaped through it.
            Drained d = drainSlot(s);
            if (d.blocks || d.dropped) logDeadDrain(prev, d);
        }
        s.ownerPid.store(self, std::memory_order_relaxed);
        s.inOp.store(0, std::memory_order_relaxed);
        s.fenced.store(registerAsymmetricFence() ? 1 : 0, std::memory_order_relaxed);
    }
    // Cap per process: 1/64 of the segment, between 256 KiB and 4 MiB.
    size_t cap = std::clamp<size_t>(g.hdr->mapBytes / 64, size_t{256} << 10, size_t{4} << 20);
    g_cache.attach(&s, cap);
    g_seenEpoch = g.hdr->flushEpoch.load(std::memory_order_relaxed);
    t_useCache = true;
}

void* shmAlloc(size_t n, AllocSite site) {
    if (t_useCache) [[likely]] {
        unsigned c = classForRequest(n);
        if (c != kNoClass) [[likely]] {
            if (void* p = g_cache.pop(c)) [[likely]]
                return p;
            return refill(c, n, site);
        }
    }
    if (!ready("shmAlloc")) return nullptr;
    return allocLocked(n, site);
}

void* shmAllocZero(size_t n, AllocSite site) {
    void* p = shmAlloc(n, site);
    if (p) memset(p, 0, n);
    return p;
}

void shmFree(void* p, AllocSite site) {
    if (!p) return;
    if (!ready("shmFree")) return;
    if (t_useCache && g.heap->owns(p)) [[likely]] {
        unsigned c = classForBlock(g.heap->usableSize(p));
        if (c != kNoClass) [[likely]] {
            switch (g_cache.push(c, p)) {
                case Push::Kept:
                    return;
                case Push::KeptTrim:
                    trim(c);
                    return;
                case Push::DoubleFree:
                    logMisuse("double free of", p, site);
                    return;
                case Push::Bypass:
                    break;  // a reclaimer holds the lists: to the heap
            }
        }
    }
    LockedHeap heap;
    heap->free(p, site);  // reports foreign pointers and double frees itself
}

void* shmRealloc(void* p, size_t n, AllocSite site) {
    if (!p) return shmAlloc(n, site);
    if (n == 0) {
        shmFree(p, site);
        return nullptr;
    }
    if (!ready("shmRealloc")) return nullptr;
    if (t_useCache && g.heap->owns(p)) {
        size_t old = g.heap->usableSize(p);
        if (classForBlock(old) != kNoClass || classForRequest(n) != kNoClass) {
            // Keep the block when it still fits and a smaller class would not save much.
            if (n <= old && (n > old / 2 || classForRequest(n) == classForBlock(old))) return p;
            void* q = shmAlloc(n, site);
            if (!q) return nullptr;
            memcpy(q, p, std::min(old, n));
            shmFree(p, site);
            return q;
        }
    }
    void* q;
    {
        LockedHeap heap;
        q = heap->realloc(p, n, site);
    }
    if (q || !g.heap->owns(p)) return q;
    reclaimOtherCaches();
    {
        // As allocAfterFailure: give the caches back and retry once.
        LockedHeap heap;
        returnWholeCacheLocked(g.heap);
        g.hdr->flushEpoch.fetch_add(1, std::memory_order_relaxed);
        g_seenEpoch = g.hdr->flushEpoch.load(std::memory_order_relaxed);
        q = heap->realloc(p, n, site);
    }
    if (!q) logOutOfMemory(n, site);
    return q;
}

bool shmOwns(const void* p) {
    return g.heap && g.heap->owns(p);
}

void shmFlushCache() {
    if (!g.heap || !t_useCache || g_cache.bytes() == 0) return;
    LockedHeap heap;
    returnWholeCacheLocked(g.heap);
}

HeapStats shmStats() {
    HeapStats st;
    if (!g.heap) return st;
    {
        LockedHeap heap;
        heap->stats(st);
    }
    uint64_t bytes = 0, blocks = 0, handedOut = 0, takenBack = 0, fromHeap = 0, toHeap = 0;
    for (const CacheSlot& s : g.hdr->slots) {
        bytes += s.cachedBytes.load(std::memory_order_relaxed);
        blocks += s.cachedBlocks.load(std::memory_order_relaxed);
        handedOut += s.handedOut.load(std::memory_order_relaxed);
        takenBack += s.takenBack.load(std::memory_order_relaxed);
        fromHeap += s.fromHeap.load(std::memory_order_relaxed);
        toHeap += s.toHeap.load(std::memory_order_relaxed);
    }
    // Counters of other processes are read without their cooperation, so clamp.
    st.used -= std::min<uint64_t>(st.used, bytes);
    st.realUsed -= std::min<uint64_t>(st.realUsed, bytes);
    st.freeBytes = std::min<uint64_t>(st.total, st.freeBytes + bytes);
    st.freeFragments += blocks;
    // Callers' allocations: the heap's, minus the cache's own traffic, plus what the cache
    // served (modular arithmetic: the true results are never negative).
    st.allocCount = st.allocCount - fromHeap + handedOut;
    st.freeCount = st.freeCount - toHeap + takenBack;
    return st;
}

size_t shmCachedBytes() {
    uint64_t bytes = 0;
    if (g.heap)
        for (const CacheSlot& s : g.hdr->slots)
            bytes += s.cachedBytes.load(std::memory_order_relaxed);
    return bytes;
}

size_t shmReclaimAllCaches() {
    if (!g.heap || !kCacheEnabled) return 0;
    uint64_t bytes = reclaimOtherCaches();
    if (t_useCache) {
        bytes += g_cache.bytes();
        LockedHeap heap;
        returnWholeCacheLocked(g.heap);
    }
    return bytes;
}

void shmTestHoldCacheOp(bool inside) {
    if (t_useCache) g_cache.slot()->inOp.store(inside ? 1 : 0, std::memory_order_release);
}

size_t shmReclaimDeadProcess(int pid) {
    if (!g.heap || !kCacheEnabled || pid <= 0) return 0;
    if (!threadGone(static_cast<uint32_t>(pid))) {
        memLog(LOG_ERR, "shm: not reclaiming the cache of live process %d", pid);
        return 0;
    }
    LockGuard<FutexMutex> guard(g.hdr->reclaimLock);
    if (guard.ownerDied()) [[unlikely]]
        recoverFromDeadReclaimer(guard.deadOwner());
    uint64_t bytes = 0;
    for (CacheSlot& s : g.hdr->slots) {
        if (s.ownerPid.load(std::memory_order_relaxed) != pid) continue;
        Drained d = drainSlot(s);
        if (d.blocks || d.dropped) logDeadDrain(pid, d);
        bytes += d.bytes;
        s.inOp.store(0, std::memory_order_relaxed);
        s.ownerPid.store(0, std::memory_order_relaxed);
    }
    return bytes;
}

bool shmCheck() {
    if (!ready("shmCheck")) return false;
    LockedHeap heap;
    return heapConsistent(*g.heap);
}

size_t shmReportLive(int fd) {
    if (!ready("shmReportLive")) return 0;
    LockedHeap heap;
    return heapReportLive(*g.heap, fd, "shm");
}

}  // namespace osprey::mem
