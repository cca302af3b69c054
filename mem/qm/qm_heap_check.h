// qm's slow paths: diagnosing a bad pointer, the check() walk and the live report.
// None of these allocate; all are bounded by the region (every fragment is >= kMinSplit).
#pragma once
// Included from qm_heap.h only.

namespace osprey::mem {

template <bool kStacks>
BlockDesc QmHeap<kStacks>::describe(const Hdr* h, bool withFree) {
    BlockDesc d;
    d.user = payload(h);
    if (!isFree(h)) d.size = requestedOf(h);
    d.siteKnown = h->allocSite.file_name()[0] != '\0';
    d.allocSite = h->allocSite;
    d.freedKnown = withFree && h->freeSite.file_name()[0] != '\0';
    d.freedAt = h->freeSite;
    return d;
}

// p was not the payload of a sound fragment. Walk the heap from the start to say what it is:
// a block whose header was destroyed, a pointer into a block, or not a block at all.
template <bool kStacks>
void QmHeap<kStacks>::diagnose(const void* p, FaultOrigin origin) const {
    auto* target = static_cast<const char*>(p);
    for (const char* c = start_; c < end_;) {
        auto* h = reinterpret_cast<const Hdr*>(c);
        if (!followable(h)) {
            if (target == payload(h)) {
                BlockDesc d;
                d.user = target;
                reportFault(errors_, kName, FragFault::HeaderCorrupt, p, d, origin);
            } else {
                reportCorruption(errors_, kName, h,
                                 "fragment header destroyed; cannot tell what the pointer is",
                                 origin);
            }
            return;
        }
        const char* end = reinterpret_cast<const char*>(nextOf(h));
        if (target < end) {
            const char* user = payload(h);
            if (target == user) {
                // Only reached when the header is sound but the fast path refused it.
                reportFault(errors_, kName, FragFault::HeaderCorrupt, p, describe(h, false),
                            origin);
            } else if (target > user && target < user + sizeOf(h) && !isFree(h)) {
                reportFault(errors_, kName, FragFault::Interior, p, describe(h, false), origin,
                            static_cast<size_t>(target - user));
            } else {
                reportFault(errors_, kName, FragFault::NotABlock, p, BlockDesc{}, origin);
            }
            return;
        }
        c = end;
    }
    reportFault(errors_, kName, FragFault::NotABlock, p, BlockDesc{}, origin);
}

template <bool kStacks>
bool QmHeap<kStacks>::check() const {
    const FaultOrigin byCheck{};
    bool ok = true;
    auto corrupt = [&](const void* where, const char* what) {
        reportCorruption(errors_, kName, where, what, byCheck);
        ok = false;
    };
    size_t live = 0, free = 0;
    bool prevFree = false;
    const char* c = start_;
    while (c < end_) {
        auto* h = reinterpret_cast<const Hdr*>(c);
        if (!followable(h)) {
            corrupt(h, "fragment header destroyed (size or allocation site overwritten)");
            return false;
        }
        if (h->canary != qm::kCanary) {
            reportFault(errors_, kName, FragFault::HeaderCorrupt, payload(h), describe(h, false),
                        byCheck);
            ok = false;
        }
        if (static_cast<bool>(h->word & qm::kPrevFree) != prevFree)
            corrupt(h, "previous-fragment-free flag is wrong");
        const qm::Footer* f = footerOf(h);
        if (isFree(h)) {
            ++free;
            if (prevFree) corrupt(h, "two adjacent free fragments");
            if (f->size != sizeOf(h) || guardBreak(reinterpret_cast<const char*>(&f->guard),
                                                   sizeof f->guard) != sizeof f->guard)
                corrupt(f, "footer of a free fragment overwritten (write after free?)");
        } else {
            ++live;
            size_t n = requestedOf(h);
            size_t len = slackOf(h) + sizeof f->guard;
            size_t broken = guardBreak(payload(h) + n, len);
            if (!(h->word & qm::kQuarantined) && (broken < len || f->size != sizeOf(h))) {
                reportFault(errors_, kName, FragFault::Overrun, payload(h), describe(h, false),
                            byCheck, n + (broken < len ? broken : len));
                ok = false;
            }
        }
        prevFree = isFree(h);
        c = reinterpret_cast<const char*>(nextOf(h));
    }
    if (c != end_) corrupt(c, "fragment chain overruns the region");

    size_t listed = 0;
    for (size_t b = 0; b < qm::kBins; ++b) {
        if (binMap_.test(b) != (bins_[b] != nullptr)) corrupt(&bins_[b], "free-list bitmap wrong");
        const Hdr* prev = nullptr;
        for (const Hdr* h = bins_[b]; h; prev = h, h = links(h)->next) {
            if (++listed > free || !followable(h) || !isFree(h) || qm::binOf(sizeOf(h)) != b ||
                links(h)->prev != prev) {
                corrupt(h, "free list broken");
                return false;
            }
        }
    }
    if (listed != free || free != freeFrags_) corrupt(start_, "free fragment count mismatch");
    if (live != liveFrags_) corrupt(start_, "live fragment count mismatch");
    return ok;
}

template <bool kStacks>
void QmHeap<kStacks>::collectLive(LiveReport& report) const {
    for (const char* c = start_; c < end_;) {
        auto* h = reinterpret_cast<const Hdr*>(c);
        if (!followable(h)) {
            reportCorruption(errors_, kName, h, "live report stops at a destroyed header",
                             FaultOrigin{"collectLive", AllocSite::current()});
            break;
        }
        if (!isFree(h)) {
            const CallStack* stack = nullptr;
            if constexpr (kStacks) stack = &h->stack;
            report.add(h->allocSite, stack, requestedOf(h));
        }
        c = reinterpret_cast<const char*>(nextOf(h));
    }
}

}  // namespace osprey::mem
