// DebugHeap's slow paths: diagnosing a bad pointer, check() and the live report. They walk
// the live list, bounded by the live count so a damaged list cannot loop forever.
#pragma once
// Included from debug_heap.h only.

namespace osprey::mem {

// p was not a sound live record. Find the live block it belongs to, if any.
template <Heap Inner, bool kStacks>
void DebugHeap<Inner, kStacks>::diagnose(const void* p, FaultOrigin origin) const {
    auto* target = static_cast<const char*>(p);
    size_t steps = 0;
    for (const Rec* r = head_; r && steps <= live_; r = r->next, ++steps) {
        if (!recordable(user(r))) break;
        const char* u = user(r);
        if (target == u) {
            BlockDesc d = describe(r, false);
            d.siteKnown = sound(r);
            if (!d.siteKnown) d.size = BlockDesc::kUnknown;
            reportFault(errors_, kName, FragFault::HeaderCorrupt, p, d, origin);
            return;
        }
        if (sound(r) && target > u && target < u + r->requested + guardLen(r->requested)) {
            reportFault(errors_, kName, FragFault::Interior, p, describe(r, false), origin,
                        static_cast<size_t>(target - u));
            return;
        }
    }
    reportFault(errors_, kName, FragFault::NotABlock, p, BlockDesc{}, origin);
}

template <Heap Inner, bool kStacks>
bool DebugHeap<Inner, kStacks>::check() const {
    const FaultOrigin byCheck{};
    bool ok = true;
    size_t count = 0;
    const Rec* prev = nullptr;
    for (const Rec* r = head_; r; prev = r, r = r->next) {
        if (++count > live_ || !recordable(user(r)) || r->prev != prev) {
            reportCorruption(errors_, kName, r, "live list broken", byCheck);
            return false;
        }
        if (!sound(r) || (r->state != debug::kLive && r->state != debug::kRetired)) {
            BlockDesc d = describe(r, false);
            d.siteKnown = sound(r);
            if (!d.siteKnown) d.size = BlockDesc::kUnknown;
            reportFault(errors_, kName, FragFault::HeaderCorrupt, user(r), d, byCheck);
            ok = false;
            if (!sound(r)) continue;  // its size cannot be believed: skip the guard
        }
        if (r->state == debug::kLive) {
            size_t len = guardLen(r->requested);
            size_t broken = guardBreak(user(r) + r->requested, len);
            if (broken < len) {
                reportFault(errors_, kName, FragFault::Overrun, user(r), describe(r, false),
                            byCheck, r->requested + broken);
                ok = false;
            }
        }
    }
    if (count != live_) {
        reportCorruption(errors_, kName, head_, "live block count mismatch", byCheck);
        ok = false;
    }
    if (!heapConsistent(*inner())) ok = false;
    return ok;
}

template <Heap Inner, bool kStacks>
void DebugHeap<Inner, kStacks>::collectLive(LiveReport& report) const {
    size_t steps = 0;
    for (const Rec* r = head_; r && steps < live_; r = r->next, ++steps) {
        if (!recordable(user(r))) break;
        const CallStack* stack = nullptr;
        if constexpr (kStacks) stack = &r->stack;
        if (sound(r))
            report.add(r->allocSite, stack, r->requested);
        else
            report.add(AllocSite{}, nullptr, 0);  // damaged record: counted, site unknown
    }
}

}  // namespace osprey::mem
