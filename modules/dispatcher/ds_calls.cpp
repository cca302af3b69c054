// Call tracking for algorithm 10 (ds_calls.h): a Call-ID table with a lock per bucket and a
// fixed number of entries per bucket (no allocation after start), and one counter per duid.
#include "modules/dispatcher/ds_calls.h"

#include <atomic>
#include <cstring>
#include <ctime>
#include <new>

#include "core/log/log.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"
#include "modules/dispatcher/ds_load_keys.h"

namespace osprey::dispatcher {

namespace {

constexpr unsigned kDuidMax = 63;
constexpr unsigned kPerBucket = 6;

struct CallEntry {
    uint64_t hash = 0;  // 0: free
    int32_t slot = -1;
    uint32_t expires = 0;
};

struct Bucket {
    mem::FutexMutex lock;
    CallEntry e[kPerBucket];
};

struct Calls {
    mem::FutexMutex namesLock;
    uint32_t nNames = 0;
    char names[kLoadSlots][kDuidMax + 1];
    std::atomic<int32_t> load[kLoadSlots];
    uint32_t mask = 0;
    uint32_t expire = 0;
    uint32_t initExpire = 0;
    Bucket* buckets = nullptr;
};

Calls* g_calls = nullptr;

uint32_t nowSec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint32_t>(ts.tv_sec);
}

// seq_cst and followed by the keys' refresh: ds_load_keys.h says why.
void raiseLoad(int32_t slot) {
    g_calls->load[slot].fetch_add(1, std::memory_order_seq_cst);
    loadChanged(slot);
}

void lower(int32_t slot) {
    if (slot < 0 || slot == kZeroSlot) return;
    g_calls->load[slot].fetch_sub(1, std::memory_order_seq_cst);
    loadChanged(slot);
}

}  // namespace

bool initCalls(int hashSizePow, int expireSec, int initExpireSec) {
    void* p = mem::shmAllocZero(sizeof(Calls));
    if (p == nullptr) return false;
    g_calls = new (p) Calls();
    g_calls->expire = static_cast<uint32_t>(expireSec);
    g_calls->initExpire = static_cast<uint32_t>(initExpireSec);
    if (hashSizePow > 0) {
        const size_t n = size_t{1} << hashSizePow;
        void* b = mem::shmAllocZero(n * sizeof(Bucket));
        if (b == nullptr) return false;
        g_calls->buckets = new (b) Bucket[n]();
        g_calls->mask = static_cast<uint32_t>(n - 1);
    }
    return true;
}

void destroyCalls() {
    if (g_calls == nullptr) return;
    if (g_calls->buckets != nullptr) mem::shmFree(g_calls->buckets);
    mem::shmFree(g_calls);
    g_calls = nullptr;
}

int loadSlotFor(std::string_view duid) {
    if (g_calls == nullptr || duid.empty() || duid.size() > kDuidMax) return kZeroSlot;
    mem::LockGuard g(g_calls->namesLock);
    for (uint32_t i = 0; i < g_calls->nNames; ++i) {
        if (duid == g_calls->names[i]) return static_cast<int>(i);
    }
    if (g_calls->nNames == kZeroSlot) return kZeroSlot;
    const uint32_t i = g_calls->nNames++;
    duid.copy(g_calls->names[i], duid.size());
    g_calls->names[i][duid.size()] = '\0';
    return static_cast<int>(i);
}

const std::atomic<int32_t>* loadCounters() {
    return g_calls != nullptr ? g_calls->load : nullptr;
}

int32_t callLoad(int slot) {
    if (g_calls == nullptr || slot < 0 || slot == kZeroSlot) return 0;
    return g_calls->load[slot].load(std::memory_order_relaxed);
}

void loadAssign(uint64_t h, int slot) {
    if (g_calls == nullptr || g_calls->buckets == nullptr || slot < 0 || slot == kZeroSlot) {
        return;
    }
    if (h == 0) h = 1;
    Bucket& b = g_calls->buckets[h & g_calls->mask];
    mem::LockGuard g(b.lock);
    CallEntry* freeOne = nullptr;
    for (CallEntry& e : b.e) {
        if (e.hash == h) {  // re-routed (ds_next_dst): the load moves
            lower(e.slot);
            e.slot = slot;
            raiseLoad(slot);
            return;
        }
        if (e.hash == 0 && freeOne == nullptr) freeOne = &e;
    }
    if (freeOne == nullptr) {
        LM_WARN("dispatcher: call-load table bucket full, call not tracked (raise ds_hash_size)");
        return;
    }
    *freeOne = CallEntry{h, slot, nowSec() + g_calls->initExpire};
    raiseLoad(slot);
}

// Runs f on the call's entry under its bucket lock; false when the call is not tracked.
template <class F>
bool withCall(uint64_t h, F&& f) {
    if (g_calls == nullptr || g_calls->buckets == nullptr) return false;
    if (h == 0) h = 1;
    Bucket& b = g_calls->buckets[h & g_calls->mask];
    mem::LockGuard g(b.lock);
    for (CallEntry& e : b.e) {
        if (e.hash != h) continue;
        f(e);
        return true;
    }
    return false;
}

bool loadUnset(uint64_t h) {
    return withCall(h, [](CallEntry& e) {
        lower(e.slot);
        e = CallEntry{};
    });
}

bool loadConfirm(uint64_t h) {
    return withCall(h, [](CallEntry& e) { e.expires = nowSec() + g_calls->expire; });
}

void loadExpire() {
    if (g_calls == nullptr || g_calls->buckets == nullptr) return;
    const uint32_t now = nowSec();
    for (uint32_t i = 0; i <= g_calls->mask; ++i) {
        Bucket& b = g_calls->buckets[i];
        mem::LockGuard g(b.lock);
        for (CallEntry& e : b.e) {
            if (e.hash != 0 && static_cast<int32_t>(now - e.expires) >= 0) {
                lower(e.slot);
                e = CallEntry{};
            }
        }
    }
}

}  // namespace osprey::dispatcher
