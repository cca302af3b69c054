// Batch moves of the per-process shm cache and the reclaimer's side of its handshake; see
// shm_cache.h and docs/shm-cache.md.
#include "mem/shm_cache.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mem/lock/futex.h"
#include "mem/lock/thread_id.h"
#include "mem/mem_log.h"

namespace osprey::mem::shmcache {

unsigned ProcessCache::take(unsigned c, unsigned max, void** out) {
    CacheSlot& s = *slot_;
    if (!enter(s)) return 0;
    ClassList& l = s.lists[c];
    unsigned n = 0;
    while (n < max && l.head) {
        CacheLink* b = l.head;
        l.head = b->next;
        clearTag(b);
        out[n++] = b;
    }
    l.count -= n;
    add(s.cachedBlocks, -uint64_t{n});
    add(s.cachedBytes, -(n * classSize(c)));
    add(s.toHeap, n);
    leave(s);
    return n;
}

bool ProcessCache::addFromHeap(unsigned c, void* const* blocks, unsigned n) {
    CacheSlot& s = *slot_;
    if (!enter(s)) return false;
    for (unsigned i = 0; i < n; ++i) link(s, c, static_cast<CacheLink*>(blocks[i]));
    leave(s);
    return true;
}

bool registerAsymmetricFence() {
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;
}

bool asymmetricHeavyFence(bool expedited) {
    // The expedited command interrupts only the CPUs running a registered process (about a
    // microsecond); the plain one waits for every CPU to pass a scheduling point (milliseconds),
    // which also covers an owner that could not register.
    if (expedited && syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) == 0)
        return true;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0;
}

Quiet waitOwnerQuiet(CacheSlot& s, uint32_t timeoutMs) {
    // An operation is a few dozen instructions: spin first; then the owner was descheduled
    // inside one (or died there), so sleep a little and ask the kernel whether it still lives.
    for (int i = 0; i < 2000; ++i) {
        if (s.inOp.load(std::memory_order_acquire) == 0) return Quiet::Idle;
        cpuRelax();
    }
    uint64_t deadline = coarseNowMs() + timeoutMs;
    for (;;) {
        for (int i = 0; i < 50; ++i) {
            if (s.inOp.load(std::memory_order_acquire) == 0) return Quiet::Idle;
            timespec ts{0, 20000};
            nanosleep(&ts, nullptr);
        }
        int32_t pid = s.ownerPid.load(std::memory_order_relaxed);
        if (pid > 0 && threadGone(static_cast<uint32_t>(pid))) return Quiet::OwnerDead;
        if (coarseNowMs() > deadline) return Quiet::Busy;
    }
}

Drained drainLists(CacheSlot& s, bool (*plausible)(const void*), void (*give)(void*)) {
    Drained d;
    for (unsigned c = 0; c < kClassCount; ++c) {
        ClassList& l = s.lists[c];
        CacheLink* b = l.head;
        uint64_t bound = uint64_t{l.count} + 1;  // +1: an owner that died inside link()
        // Detach first: a reclaimer that dies in the walk below loses these blocks but leaves
        // the slot consistent.
        l.head = nullptr;
        l.count = 0;
        uint64_t n = 0;
        while (b && n < bound) {
            const void* p = b;
            if (!plausible(p) || b->tag != cacheTag(b)) {
                ++d.dropped;  // the rest of the list is unreachable
                break;
            }
            CacheLink* next = b->next;
            b->tag = 0;
            give(b);
            ++n;
            b = next;
        }
        d.blocks += n;
        d.bytes += n * classSize(c);
    }
    s.cachedBlocks.store(0, std::memory_order_relaxed);
    s.cachedBytes.store(0, std::memory_order_relaxed);
    s.toHeap.store(s.toHeap.load(std::memory_order_relaxed) + d.blocks, std::memory_order_relaxed);
    return d;
}

}  // namespace osprey::mem::shmcache
