// Publication and safe reclamation of destination lists (ds_current.h).
#include "modules/dispatcher/ds_current.h"

#include <atomic>
#include <new>

#include "core/log/log.h"
#include "core/proc/child.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"
#include "modules/dispatcher/ds_load_keys.h"

namespace osprey::dispatcher {

namespace {

// One per process, 64 bytes apart so no two processes write the same cache line. Padded, not
// alignas(64): shm blocks are only 16-byte aligned.
struct ReaderSlot {
    std::atomic<uint64_t> epoch{0};  // 0: not reading
    char pad[56];
};
static_assert(sizeof(ReaderSlot) == 64);

struct Shared {
    std::atomic<List*> current{nullptr};
    std::atomic<uint64_t> epoch{1};
    std::atomic<int> pingActive{1};
    mem::FutexMutex lock;  // publishers and reclaimers
    List* retired = nullptr;
    uint64_t generation = 0;
    uint64_t reloads = 0;
    uint64_t refused = 0;
    ReaderSlot readers[mem::kMaxProcesses];
};

Shared* g_shared = nullptr;
int g_depth = 0;  // nested read scopes in this process

ReaderSlot& mySlot() {
    return g_shared->readers[proc::self().slot % mem::kMaxProcesses];
}

// Lock held. True when no process can still be reading a list retired at `epoch`.
bool graceOver(uint64_t epoch) {
    for (const ReaderSlot& r : g_shared->readers) {
        const uint64_t e = r.epoch.load(std::memory_order_seq_cst);
        if (e != 0 && e < epoch) return false;
    }
    return true;
}

}  // namespace

bool initCurrent() {
    void* p = mem::shmAllocZero(sizeof(Shared));
    if (p == nullptr) return false;
    g_shared = new (p) Shared();
    return true;
}

void destroyCurrent() {
    if (g_shared == nullptr) return;
    freeList(g_shared->current.exchange(nullptr));
    for (List* l = g_shared->retired; l != nullptr;) {
        List* next = l->nextRetired;
        freeList(l);
        l = next;
    }
    g_shared->~Shared();
    mem::shmFree(g_shared);
    g_shared = nullptr;
}

ReadScope::ReadScope() : list_(nullptr), outer_(g_depth++ == 0) {
    if (g_shared == nullptr) return;
    if (outer_) {
        // Announce the epoch, then read the pointer: the full fence orders the store before
        // the load, so a publisher either sees this slot or we see its new pointer.
        mySlot().epoch.store(g_shared->epoch.load(std::memory_order_acquire),
                             std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }
    list_ = g_shared->current.load(std::memory_order_acquire);
}

ReadScope::~ReadScope() {
    --g_depth;
    if (outer_ && g_shared != nullptr) mySlot().epoch.store(0, std::memory_order_release);
}

void holdList(List* l) {
    if (l != nullptr) l->refs.fetch_add(1, std::memory_order_relaxed);
}

void dropList(List* l) {
    if (l != nullptr) l->refs.fetch_sub(1, std::memory_order_release);
}

bool publishRows(const std::vector<Row>& rows, std::string* error) {
    if (g_shared == nullptr) {
        *error = "dispatcher is not initialised";
        return false;
    }
    {
        mem::LockGuard g(g_shared->lock);
        List* old = g_shared->current.load(std::memory_order_relaxed);
        List* l = buildList(rows, old, error);
        if (l == nullptr) {
            ++g_shared->refused;
            return false;
        }
        l->generation = ++g_shared->generation;
        g_shared->current.store(l, std::memory_order_seq_cst);
        // Call counts that changed while it was built, seen by processes that still found the
        // old list current, reach the new one's keys here (ds_load_keys.h).
        refreshLoadKeys(*l);
        const uint64_t e = g_shared->epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
        ++g_shared->reloads;
        if (old != nullptr) {
            old->retiredAt = e;
            old->nextRetired = g_shared->retired;
            g_shared->retired = old;
        }
    }
    reclaimRetired();
    return true;
}

void reclaimRetired() {
    if (g_shared == nullptr) return;
    // Unlocked peek: the chain is only ever non-empty after a reload.
    if (__atomic_load_n(&g_shared->retired, __ATOMIC_RELAXED) == nullptr) return;
    List* toFree = nullptr;
    {
        mem::LockGuard g(g_shared->lock);
        List** link = &g_shared->retired;
        while (*link != nullptr) {
            List* l = *link;
            if (l->refs.load(std::memory_order_acquire) == 0 && graceOver(l->retiredAt)) {
                *link = l->nextRetired;
                l->nextRetired = toFree;
                toFree = l;
            } else {
                link = &l->nextRetired;
            }
        }
    }
    while (toFree != nullptr) {
        List* next = toFree->nextRetired;
        freeList(toFree);
        toFree = next;
    }
}

ReloadStats reloadStats() {
    ReloadStats s;
    if (g_shared == nullptr) return s;
    mem::LockGuard g(g_shared->lock);
    s.generation = g_shared->generation;
    s.reloads = g_shared->reloads;
    s.refused = g_shared->refused;
    for (List* l = g_shared->retired; l != nullptr; l = l->nextRetired) ++s.retired;
    return s;
}

int pingActive() {
    return g_shared != nullptr ? g_shared->pingActive.load(std::memory_order_relaxed) : 0;
}

void setPingActive(int v) {
    if (g_shared != nullptr) g_shared->pingActive.store(v, std::memory_order_relaxed);
}

}  // namespace osprey::dispatcher
