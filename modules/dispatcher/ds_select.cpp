// Selection algorithms (ds_select.h). Hot path: no allocation, no lock; the only shared write
// is the round-robin counter's increment.
#include "modules/dispatcher/ds_select.h"

#include <climits>

#include "modules/dispatcher/ds_calls.h"

namespace osprey::dispatcher {

namespace {

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

// Algorithm 10: the usable destination with the fewest calls, below its maxload.
int leastLoaded(const List& l, const Set& s, uint32_t pool) {
    int best = -1;
    int32_t bestLoad = INT32_MAX;
    for (uint32_t i = 0; i < pool; ++i) {
        const Dest& d = l.dest(s, i);
        if (!usable(d.flags.load(std::memory_order_relaxed))) continue;
        const int32_t load = callLoad(d.loadSlot);
        if (d.maxload > 0 && load >= d.maxload) continue;
        if (load < bestLoad) {
            bestLoad = load;
            best = static_cast<int>(i);
        }
    }
    return best;
}

// Algorithm 13: round robin over the usable destinations with the best priority adjusted by
// the estimated ping latency (priority - est/priority, Kamailio's formula).
int lowestLatency(const List& l, Set& s, uint32_t pool) {
    int32_t best = INT32_MIN;
    uint32_t nBest = 0;
    int32_t adj[256];
    const uint32_t n = pool < 256 ? pool : 256;
    for (uint32_t i = 0; i < n; ++i) {
        const Dest& d = l.dest(s, i);
        adj[i] = INT32_MIN;
        if (!usable(d.flags.load(std::memory_order_relaxed))) continue;
        int32_t a = d.priority;
        if (d.priority > 0) {
            a -= static_cast<int32_t>(d.latency.est.load(std::memory_order_relaxed)) / d.priority;
        }
        adj[i] = a;
        if (a > best) {
            best = a;
            nBest = 1;
        } else if (a == best) {
            ++nBest;
        }
    }
    if (nBest == 0) return -1;
    uint32_t pick = s.rr.fetch_add(1, std::memory_order_relaxed) % nBest;
    for (uint32_t i = 0; i < n; ++i) {
        if (adj[i] == best && pick-- == 0) return static_cast<int>(i);
    }
    return -1;
}

}  // namespace

uint64_t hashText(const char* p, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(p[i]);
        h *= 0x100000001b3ull;
    }
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
            idx = leastLoaded(l, s, pool);
            if (idx < 0) goto fallback;
            start = static_cast<uint32_t>(idx);
            break;
        case kLatency:
            idx = lowestLatency(l, s, pool);
            if (idx < 0) goto fallback;
            start = static_cast<uint32_t>(idx);
            break;
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
