// Selection algorithms (ds_select.h). Hot path: no allocation, no lock; the only shared write
// is the round-robin counter's increment.
#include "modules/dispatcher/ds_select.h"

#include <climits>

#include "core/hash/fnv1a.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_load_keys.h"

namespace osprey::dispatcher {

namespace {

constexpr uint32_t kMaxTies = 1024;

uint64_t nextRandom() {
    static thread_local uint64_t s = 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(&s);
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

// The pool a normal pick draws from: every destination but the default one (use_default).
uint32_t poolSize(const Set& s, bool useDefault) {
    return useDefault && s.count > 1 ? s.count - 1 : s.count;
}

bool usableAt(const List& l, const Set& s, uint32_t i) {
    return usable(l.dest(s, i).flags.load(std::memory_order_relaxed));
}

// From `start`, the first usable destination in ring order within the pool; -1 when none.
int firstUsableFrom(const List& l, const Set& s, uint32_t pool, uint32_t start, uint16_t* steps) {
    for (uint32_t k = 0; k < pool; ++k) {
        uint32_t i = start + k;
        if (i >= pool) i -= pool;
        if (usableAt(l, s, i)) {
            *steps = static_cast<uint16_t>(k);
            return static_cast<int>(i);
        }
    }
    return -1;
}

// Algorithm 13: round robin over the usable destinations with the best priority adjusted by
// the estimated ping latency (Dest::adjPriority, kept by the keepalive process). One pass that
// collects the ties.
int lowestLatency(const List& l, Set& s, uint32_t pool) {
    int32_t best = INT32_MIN;
    uint32_t nBest = 0;
    uint16_t ties[kMaxTies];
    // Sets larger than kMaxTies: only their first kMaxTies destinations compete.
    const uint32_t n = pool < kMaxTies ? pool : kMaxTies;
    const Dest* d = &l.dests[s.first];
    for (uint32_t i = 0; i < n; ++i, ++d) {
        if (!usable(d->flags.load(std::memory_order_relaxed))) continue;
        const int32_t a = d->adjPriority.load(std::memory_order_relaxed);
        if (a < best) continue;
        if (a > best) {
            best = a;
            nBest = 0;
        }
        ties[nBest++] = static_cast<uint16_t>(i);
    }
    if (nBest == 0) return -1;
    return ties[s.rr.fetch_add(1, std::memory_order_relaxed) % nBest];
}

}  // namespace

uint64_t hashText(const char* p, size_t n, uint64_t h) {
    h = hash::fnv1a64(std::string_view(p, n), h);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

int selectFirst(List& l, uint32_t setIdx, int alg, uint64_t hash, bool useDefault, Selection* sel) {
    Set& s = l.sets[setIdx];
    *sel = Selection{};
    sel->list = &l;
    sel->setIdx = setIdx;
    sel->alg = static_cast<uint8_t>(alg);
    sel->useDefault = useDefault && s.count > 1;
    const uint32_t pool = poolSize(s, sel->useDefault);
    int idx = -1;
    uint32_t start = 0;
    switch (alg) {
        case kHashCallId:
        case kHashFrom:
        case kHashTo:
        case kHashRuri:
        case kHashAuthUser:
        case kHashPv:
            start = static_cast<uint32_t>(hash % pool);
            break;
        case kRoundRobin:
            start = s.rr.fetch_add(1, std::memory_order_relaxed) % pool;
            break;
        case kRandom:
            start = static_cast<uint32_t>(nextRandom() % pool);
            break;
        case kWeight:
            if (s.hasWeights) {
                start = s.weights[s.rr.fetch_add(1, std::memory_order_relaxed) % kWeightSlots];
                if (start >= pool) start = 0;
            }
            break;
        case kRelWeight:
            if (s.hasRweights.load(std::memory_order_acquire)) {
                start = s.rweights[s.rr.fetch_add(1, std::memory_order_relaxed) % kWeightSlots];
                if (start >= pool) start = 0;
            }
            break;
        case kCallLoad:
            if (loadCounters() == nullptr) goto fallback;
            idx = leastLoaded(l, s, pool);
            if (idx < 0) goto fallback;
            start = static_cast<uint32_t>(idx);
            break;
        case kLatency: {
            // The precomputed best group; a scan when it is empty or its pick went down since.
            const uint32_t n = s.topCount.load(std::memory_order_acquire);
            if (n != 0) {
                const uint32_t i =
                    l.latencyTop[s.first + s.rr.fetch_add(1, std::memory_order_relaxed) % n];
                if (i < pool && usableAt(l, s, i)) {
                    start = i;
                    break;
                }
            }
            idx = lowestLatency(l, s, pool);
            if (idx < 0) goto fallback;
            start = static_cast<uint32_t>(idx);
            break;
        }
        default:  // 8 (priority order: the set is sorted), 12 and unknown ones: the first
            start = 0;
            break;
    }
    {
        uint16_t steps = 0;
        idx = firstUsableFrom(l, s, pool, start, &steps);
        if (idx >= 0) {
            // The walk starts at the pick; what was skipped to reach it comes last.
            sel->first = static_cast<uint16_t>(idx);
            sel->used = 1;
            sel->current = static_cast<int16_t>(idx);
            return idx;
        }
    }
fallback:
    if (sel->useDefault && usableAt(l, s, s.defaultIdx)) {
        sel->defaultUsed = true;
        sel->walked = static_cast<uint16_t>(pool);
        sel->used = 1;
        sel->current = static_cast<int16_t>(s.defaultIdx);
        return static_cast<int>(s.defaultIdx);
    }
    sel->walked = static_cast<uint16_t>(pool);
    return -1;
}

int selectNext(Selection* sel) {
    if (sel->list == nullptr) return -1;
    if (sel->limit != 0 && sel->used >= sel->limit) return -1;
    const List& l = *sel->list;
    const Set& s = l.sets[sel->setIdx];
    const uint32_t pool = poolSize(s, sel->useDefault);
    while (static_cast<uint32_t>(sel->walked) + 1 < pool) {
        ++sel->walked;
        uint32_t i = sel->first + sel->walked;
        if (i >= pool) i -= pool;
        if (usableAt(l, s, i)) {
            ++sel->used;
            sel->current = static_cast<int16_t>(i);
            return static_cast<int>(i);
        }
    }
    sel->walked = static_cast<uint16_t>(pool);
    if (sel->useDefault && !sel->defaultUsed) {
        sel->defaultUsed = true;
        if (usableAt(l, s, s.defaultIdx)) {
            ++sel->used;
            sel->current = static_cast<int16_t>(s.defaultIdx);
            return static_cast<int>(s.defaultIdx);
        }
    }
    return -1;
}

}  // namespace osprey::dispatcher
