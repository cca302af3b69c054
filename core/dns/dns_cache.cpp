// The shared DNS cache and request queue (dns_cache.h).
#include "core/dns/dns_cache.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "core/dns/dns_settings.h"
#include "core/dns/dns_stats.h"
#include "core/log/log.h"
#include "core/timer/clock.h"
#include "core/timer/timer_process.h"
#include "mem/lock/futex.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"

namespace osprey::dns {

enum class State : uint8_t { Pending, Positive, Negative };

namespace {
constexpr size_t kNameBytes = (kMaxName + 1 + 7) / 8 * 8;
}

struct Entry {
    Entry* next = nullptr;       // bucket chain
    Entry* queueNext = nullptr;  // request queue (while queued)
    Waiter* waiters = nullptr;   // while pending
    int64_t expiresMs = 0;       // coarse monotonic ms; for Positive / Negative
    int64_t sinceMs = 0;         // pending since
    uint32_t hash = 0;
    State state = State::Pending;
    QueryKind kind = QueryKind::Addr;
    Failure failure = Failure::None;
    bool queued = false;      // on the request queue (guarded by the queue lock)
    bool refreshing = false;  // Positive but expired: served while the DNS process re-asks
    uint8_t nameLen = 0;
    uint8_t count = 0;
    // Lower-cased, zero-padded to whole words (compared a word at a time); NUL-terminated.
    alignas(8) char name[kNameBytes];
    Target targets[kMaxTargets];
};

namespace {

struct Bucket {
    mem::FutexMutex lock;
    Entry* head = nullptr;
};

struct Shared {
    uint32_t mask = 0;
    uint32_t maxEntries = 0;
    std::atomic<uint32_t> hand{0};         // eviction sweep position
    std::atomic<uint32_t> completions{0};  // futex word: bumped per completed resolution
    int eventFd = -1;
    mem::FutexMutex queueLock;
    Entry* queueHead = nullptr;
    Entry* queueTail = nullptr;
    Stats stats;
    Bucket buckets[1];  // mask + 1 of them
};

Shared* g_shared = nullptr;
Stats g_localStats;

constexpr unsigned kEvictScan = 8;  // buckets the sweep looks at per insertion

constexpr uint64_t kOnes = 0x0101010101010101ull;

// Eight name octets lower-cased at once: ASCII A-Z get 0x20, every other octet (including
// those >= 0x80) stays.
uint64_t lowerWord(uint64_t w) {
    const uint64_t low7 = w & (0x7F * kOnes);
    const uint64_t geA = low7 + (0x80 - 'A') * kOnes;      // bit 7: octet >= 'A'
    const uint64_t gtZ = low7 + (0x80 - 'Z' - 1) * kOnes;  // bit 7: octet > 'Z'
    const uint64_t upper = geA & ~gtZ & ~w & (0x80 * kOnes);
    return w | (upper >> 2);
}

// A lookup's key: the name lower-cased in whole words (zero-padded), and its hash. Built once
// per lookup; the hit path then compares words, not characters.
struct Key {
    uint64_t words[kNameBytes / 8];
    unsigned nWords;
    uint32_t hash;
};

void makeKey(std::string_view name, QueryKind kind, Key* k) {
    k->nWords = static_cast<unsigned>((name.size() + 7) / 8);
    uint64_t h = 0xcbf29ce484222325ull ^ static_cast<uint64_t>(kind);
    const unsigned full = static_cast<unsigned>(name.size() / 8);
    for (unsigned i = 0; i < k->nWords; ++i) {
        uint64_t w = 0;
        if (i < full) {
            std::memcpy(&w, name.data() + size_t{i} * 8, 8);  // one load
        } else {
            std::memcpy(&w, name.data() + size_t{i} * 8, name.size() % 8);
        }
        w = lowerWord(w);
        k->words[i] = w;
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    k->hash = static_cast<uint32_t>(h ^ (h >> 32));
}

bool sameName(const Entry& e, size_t len, const Key& k) {
    if (e.nameLen != len) return false;
    const auto* words = reinterpret_cast<const uint64_t*>(e.name);
    for (unsigned i = 0; i < k.nWords; ++i) {
        if (words[i] != k.words[i]) return false;
    }
    return true;
}

void copyOut(const Entry& e, Answer* out) {
    out->count = e.count;
    out->failure = e.failure;
    std::copy(e.targets, e.targets + e.count, out->targets);
}

void freeEntry(Entry* e) {
    e->~Entry();
    mem::shmFree(e);
    g_shared->stats.entries.fetch_sub(1, std::memory_order_relaxed);
}

// Bucket lock held: unlinks and frees the entry after `prev` (or the head).
void unlinkAfter(Bucket& b, Entry* prev, Entry* e) {
    (prev == nullptr ? b.head : prev->next) = e->next;
    freeEntry(e);
}

// Bucket lock held: the finished entry that expires first, with its predecessor.
Entry* oldestFinished(Bucket& b, Entry** prevOut) {
    Entry* best = nullptr;
    Entry* prev = nullptr;
    for (Entry* e = b.head; e != nullptr; prev = e, e = e->next) {
        if (e->state == State::Pending || e->refreshing) continue;  // the DNS process has it
        if (best == nullptr || e->expiresMs < best->expiresMs) {
            best = e;
            *prevOut = prev;
        }
    }
    return best;
}

// Bucket `own` locked: makes room for one entry when the cache is full, by dropping the
// entry that expires first in this bucket or in one of the next buckets of the sweep whose
// lock is free (tryLock: a second bucket lock is never waited for, so no lock order exists).
bool makeRoom(Bucket& own) {
    if (g_shared->stats.entries.load(std::memory_order_relaxed) <
        static_cast<int64_t>(g_shared->maxEntries)) {
        return true;
    }
    Entry* prev = nullptr;
    if (Entry* e = oldestFinished(own, &prev)) {
        unlinkAfter(own, prev, e);
        g_shared->stats.evictions.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    for (unsigned i = 0; i < kEvictScan; ++i) {
        Bucket& b =
            g_shared
                ->buckets[g_shared->hand.fetch_add(1, std::memory_order_relaxed) & g_shared->mask];
        if (&b == &own) continue;
        mem::UniqueGuard<mem::FutexMutex> g(b.lock, mem::tryToLock);
        if (!g.ownsLock()) continue;
        if (Entry* e = oldestFinished(b, &prev)) {
            unlinkAfter(b, prev, e);
            g_shared->stats.evictions.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
    }
    return false;
}

// Queue lock not held: puts e on the request queue unless it is there already. The DNS
// process is woken by wakeDnsProcess(), called after the bucket lock is released.
void enqueue(Entry* e) {
    mem::LockGuard g(g_shared->queueLock);
    if (e->queued) return;
    e->queued = true;
    e->queueNext = nullptr;
    if (g_shared->queueTail != nullptr) {
        g_shared->queueTail->queueNext = e;
    } else {
        g_shared->queueHead = e;
    }
    g_shared->queueTail = e;
}

void wakeDnsProcess() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(g_shared->eventFd, &one, sizeof one);
}

void attach(Entry* e, Waiter* w, timer::TimerHandler onDone) {
    if (w == nullptr) return;
    w->node.handler = onDone;
    w->next = e->waiters;
    e->waiters = w;
}

}  // namespace

const Stats& stats() {
    return statsForUpdate();
}

Stats& statsForUpdate() {
    return g_shared != nullptr ? g_shared->stats : g_localStats;
}

bool createCache(uint32_t maxEntries) {
    if (g_shared != nullptr) return true;
    uint32_t buckets = 64;
    while (buckets < maxEntries / 2) buckets <<= 1;
    const size_t bytes = sizeof(Shared) + sizeof(Bucket) * (buckets - 1);
    void* p = mem::shmAllocZero(bytes);
    if (p == nullptr) {
        LM_ERR("dns: out of shared memory for the cache (%zu bytes)", bytes);
        return false;
    }
    auto* s = new (p) Shared();
    for (uint32_t i = 1; i < buckets; ++i) new (&s->buckets[i]) Bucket();
    s->mask = buckets - 1;
    s->maxEntries = maxEntries;
    s->eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->eventFd < 0) {
        LM_ERR("dns: cannot create the request queue's eventfd");
        mem::shmFree(p);
        return false;
    }
    g_shared = s;
    return true;
}

bool cacheReady() {
    return g_shared != nullptr;
}

LookupResult lookup(const Query& q, Answer* out, Waiter* w, timer::TimerHandler onDone) {
    if (g_shared == nullptr || q.name.empty() || q.name.size() > kMaxName) {
        return LookupResult::Unavailable;
    }
    Key key;
    makeKey(q.name, q.kind, &key);
    const uint32_t h = key.hash;
    Bucket& b = g_shared->buckets[h & g_shared->mask];
    const int64_t now = timer::coarseNowMs();
    LookupResult result = LookupResult::Pending;
    bool queued = false;  // this lookup queued a resolution: wake the DNS process
    {
        mem::LockGuard g(b.lock);
        Entry* e = b.head;
        while (e != nullptr &&
               !(e->hash == h && e->kind == q.kind && sameName(*e, q.name.size(), key))) {
            e = e->next;
        }
        if (e != nullptr && e->state != State::Pending && e->expiresMs > now) {
            copyOut(*e, out);
            return e->state == State::Positive ? LookupResult::Hit : LookupResult::Failed;
        }
        if (e != nullptr && e->state == State::Positive) {
            // Expired: the old answer keeps serving while the DNS process asks again (once),
            // so a name in use never makes its requests wait at TTL expiry.
            if (!e->refreshing) {
                e->refreshing = true;
                e->sinceMs = now;
                queued = true;
            }
            copyOut(*e, out);
            result = LookupResult::Hit;
        } else {
            if (e == nullptr) {
                if (!makeRoom(b)) return LookupResult::Unavailable;
                void* p = mem::shmAlloc(sizeof(Entry));
                if (p == nullptr) return LookupResult::Unavailable;
                e = new (p) Entry();
                e->hash = h;
                e->kind = q.kind;
                e->nameLen = static_cast<uint8_t>(q.name.size());
                std::memset(e->name, 0, sizeof e->name);
                std::memcpy(e->name, key.words, size_t{key.nWords} * 8);
                e->state = State::Negative;  // made pending just below
                e->next = b.head;
                b.head = e;
                g_shared->stats.entries.fetch_add(1, std::memory_order_relaxed);
            }
            if (e->state != State::Pending) {  // new, or expired: resolve (again)
                e->state = State::Pending;
                e->sinceMs = now;
                e->count = 0;
                e->failure = Failure::None;
                queued = true;
            }
            attach(e, w, onDone);
        }
        // The queue lock inside a bucket lock: the one order the two are taken in.
        if (queued) enqueue(e);
    }
    if (queued) {
        g_shared->stats.misses.fetch_add(1, std::memory_order_relaxed);
        wakeDnsProcess();
        LM_DBG("dns: %.*s (%s) queued", static_cast<int>(q.name.size()), q.name.data(),
               queryKindName(q.kind));
    }
    return result;
}

LookupResult lookupWait(const Query& q, Answer* out, uint32_t waitMs) {
    const int64_t deadline = timer::nowMs() + waitMs;
    for (;;) {
        // Read the word before looking: a completion after the lookup changes it, so the
        // wait below returns at once instead of missing the wake-up.
        const uint32_t seen =
            g_shared != nullptr ? g_shared->completions.load(std::memory_order_acquire) : 0;
        const LookupResult r = lookup(q, out);
        if (r != LookupResult::Pending) return r;
        const int64_t left = deadline - timer::nowMs();
        if (left <= 0) return r;
        mem::futexWait(&g_shared->completions, seen, static_cast<uint32_t>(left));
    }
}

int queueFd() {
    return g_shared != nullptr ? g_shared->eventFd : -1;
}

bool takeQuery(PendingQuery* out) {
    Entry* e;
    {
        mem::LockGuard g(g_shared->queueLock);
        e = g_shared->queueHead;
        if (e == nullptr) return false;
        g_shared->queueHead = e->queueNext;
        if (g_shared->queueHead == nullptr) g_shared->queueTail = nullptr;
        e->queued = false;
        e->queueNext = nullptr;
    }
    // A pending entry's key never changes and it is never freed while pending: no lock needed.
    out->entry = e;
    out->kind = e->kind;
    std::memcpy(out->name, e->name, e->nameLen);
    out->name[e->nameLen] = '\0';
    out->sinceMs = e->sinceMs;
    return true;
}

void complete(Entry* e, const Answer& a, uint32_t ttlSec) {
    const Settings& s = settings();
    const uint32_t ttl = a.count == 0 ? s.negativeTtl : std::clamp(ttlSec, s.minTtl, s.maxTtl);
    Waiter* waiters;
    const uint32_t h = e->hash;
    {
        Bucket& b = g_shared->buckets[h & g_shared->mask];
        mem::LockGuard g(b.lock);
        if (e->state != State::Pending && !e->refreshing) return;  // completed twice (restart)
        e->refreshing = false;
        e->count = std::min<uint8_t>(a.count, kMaxTargets);
        std::copy(a.targets, a.targets + e->count, e->targets);
        e->failure = a.count == 0 ? (a.failure == Failure::None ? Failure::NoName : a.failure)
                                  : Failure::None;
        e->state = a.count == 0 ? State::Negative : State::Positive;
        e->expiresMs = timer::coarseNowMs() + int64_t{ttl} * 1000;
        waiters = e->waiters;
        e->waiters = nullptr;
    }
    timer::TimerWheel* wheel = timer::sharedWheel();
    while (waiters != nullptr) {
        Waiter* w = waiters;
        waiters = w->next;
        w->next = nullptr;
        if (wheel != nullptr) wheel->arm(w->node, 0, w->node.handler);
    }
    g_shared->completions.fetch_add(1, std::memory_order_release);
    mem::futexWake(&g_shared->completions, 1 << 30);
}

void requeueOrphans() {
    for (uint32_t i = 0; i <= g_shared->mask; ++i) {
        Bucket& b = g_shared->buckets[i];
        mem::LockGuard g(b.lock);
        for (Entry* e = b.head; e != nullptr; e = e->next) {
            if (e->state == State::Pending || e->refreshing) enqueue(e);
        }
    }
    wakeDnsProcess();
}

}  // namespace osprey::dns
