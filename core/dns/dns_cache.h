// The shared DNS cache (docs/dns.md): resolutions keyed by (name, QueryKind), each an ordered
// target list with an expiry, in shm so every process reads what the DNS process resolved.
//
// A lookup answers from the cache (a hit), or inserts a pending entry, queues it for the DNS
// process (a shm list and an eventfd wake-up) and returns Pending; it never blocks on the
// network. A requester that wants to hear about the answer passes a Waiter: when the DNS
// process completes the entry it arms the waiter's timer node with 0 ms in the shared wheel,
// so the requester's handler runs in the timer process (which may run Lua and send), never in
// the DNS process. A waiter must stay valid until its handler ran, and a requester that uses
// waiters starts the timer wheel (timer::startTimers(), as tm does in its init).
//
// An expired positive entry keeps answering (a hit) while the DNS process asks again, once; the
// new answer replaces it. Expired negative entries are resolved again like a miss.
//
// Concurrency: one FutexMutex per bucket guards its chain and its entries; the queue has its
// own lock, always taken after a bucket lock, never before. Pending and refreshing entries are
// never evicted (waiters hang on them, the DNS process holds them). Critical sections copy a few
// targets at most; the DNS process holds a bucket lock only to store an answer.
#pragma once
#include <cstdint>

#include "core/dns/target.h"
#include "core/timer/timer_wheel.h"

namespace osprey::dns {

struct Waiter {
    timer::TimerNode node;  // armed in the shared wheel when the entry completes
    Waiter* next = nullptr;
};

enum class LookupResult : uint8_t {
    Hit,          // *out holds the targets (in the order the cache keeps)
    Failed,       // a negative entry: out->failure says why
    Pending,      // a resolution is under way (the waiter, if any, is attached)
    Unavailable,  // no cache in this run, a name too long, or no room: treat as a failure
};

// Master, before fork: the cache with room for maxEntries, the request queue and its eventfd.
bool createCache(uint32_t maxEntries);
bool cacheReady();

// From any process. With w: on Pending, w is attached and its node will be armed with onDone.
LookupResult lookup(const Query& q, Answer* out, Waiter* w = nullptr,
                    timer::TimerHandler onDone = nullptr);
// As lookup, and while Pending sleeps (on the completion futex) up to waitMs for the answer.
LookupResult lookupWait(const Query& q, Answer* out, uint32_t waitMs);

// --- the DNS process's side ---
struct Entry;
struct PendingQuery {
    Entry* entry = nullptr;
    QueryKind kind = QueryKind::Addr;
    char name[kMaxName + 1] = {};
    int64_t sinceMs = 0;  // when the lookup that queued it missed
};
int queueFd();                      // readable when queries are queued (eventfd)
bool takeQuery(PendingQuery* out);  // the oldest queued query; false when none
// Stores the answer (targets, or a.failure) with a TTL in seconds, hands the waiters to the
// timer wheel and wakes lookupWait sleepers.
void complete(Entry* e, const Answer& a, uint32_t ttlSec);
// At the DNS process's start: queries a dead predecessor took but did not finish go back on
// the queue.
void requeueOrphans();

}  // namespace osprey::dns
