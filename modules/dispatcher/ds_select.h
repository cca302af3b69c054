// The selection algorithms (Kamailio's numbers) over one set, and the failover walk.
//
// A selection is kept as a position, not as a copied list: the first destination picked, how
// far the walk has gone and how many were used. ds_next_dst() walks the set in order from the
// first pick (Kamailio's failover order) and skips what is unusable *now*, so a destination
// that went down after the selection is not tried. That keeps the selection O(1) for most
// algorithms whatever the set's size, and the per-transaction state a few bytes.
#pragma once
#include <cstdint>

#include "core/hash/fnv1a.h"
#include "modules/dispatcher/ds_list.h"

namespace osprey::dispatcher {

enum Alg : int {
    kHashCallId = 0,
    kHashFrom = 1,
    kHashTo = 2,
    kHashRuri = 3,
    kRoundRobin = 4,
    kHashAuthUser = 5,
    kRandom = 6,
    kHashPv = 7,
    kPriority = 8,
    kWeight = 9,
    kCallLoad = 10,
    kRelWeight = 11,
    kParallel = 12,
    kLatency = 13,
};

struct Selection {
    List* list = nullptr;  // held (holdList) while the selection is kept for failover
    uint32_t setIdx = 0;   // index into list->sets
    uint16_t first = 0;    // set-relative index of the first pick
    uint16_t walked = 0;   // ring steps taken from `first` (0: at first)
    uint16_t used = 0;     // destinations handed out so far
    uint16_t limit = 0;    // 0: no limit
    int16_t current = -1;  // set-relative index handed out last (ds_mark_dst)
    uint8_t alg = 0;
    bool useDefault = false;
    bool defaultUsed = false;
};

// Picks the first destination of set `s` (index setIdx in l); `hash` is the value of the
// hashed message part for the hash algorithms (ignored otherwise; kHashAuthUser with no user
// falls back to round robin by passing alg kRoundRobin). -1 when no destination is usable.
int selectFirst(List& l, uint32_t setIdx, int alg, uint64_t hash, bool useDefault, Selection* sel);

// The next destination in failover order, -1 when none is left (or the limit is reached).
int selectNext(Selection* sel);

// 64-bit hash of a text (FNV-1a with a final mix).
uint64_t hashText(const char* p, size_t n, uint64_t h = hash::kFnv64Offset);

}  // namespace osprey::dispatcher
