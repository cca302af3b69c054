// qm's allocation paths: create, alloc, free, realloc and the free lists (see qm_heap.h).
#pragma once
// Included from qm_heap.h only.

namespace osprey::mem {

template <bool kStacks>
QmHeap<kStacks>* QmHeap<kStacks>::create(void* base, size_t size) {
    if (!base) return nullptr;
    auto begin = reinterpret_cast<uintptr_t>(base);
    uintptr_t aligned = (begin + kAlign - 1) & ~(kAlign - 1);
    constexpr size_t kCtrl = (sizeof(QmHeap) + kAlign - 1) & ~(kAlign - 1);
    if (size < aligned - begin + kCtrl + kMinSplit) return nullptr;
    uintptr_t stop = (begin + size) & ~(kAlign - 1);
    auto* heap = new (reinterpret_cast<void*>(aligned)) QmHeap();
    heap->magic_ = 0x716D686561707631ull;  // "qmheapv1"
    heap->start_ = reinterpret_cast<char*>(aligned + kCtrl);
    heap->end_ = reinterpret_cast<char*>(stop);
    auto* h = reinterpret_cast<Hdr*>(heap->start_);
    h->word = (stop - aligned - kCtrl - kHead - kFoot) | qm::kFree;
    h->allocSite = AllocSite{};
    h->freeSite = AllocSite{};
    if constexpr (kStacks) h->stack = CallStack{};
    seal(h);
    writeFooter(h);
    heap->insertFree(h);
    return heap;
}

// --- free lists ------------------------------------------------------------------------

template <bool kStacks>
void QmHeap<kStacks>::insertFree(Hdr* h) {
    size_t b = qm::binOf(sizeOf(h));
    Links* l = links(h);
    l->prev = nullptr;
    l->next = bins_[b];
    if (bins_[b]) links(bins_[b])->prev = h;
    bins_[b] = h;
    binMap_.set(b);
    ++freeFrags_;
}

template <bool kStacks>
void QmHeap<kStacks>::unlinkFree(Hdr* h) {
    size_t b = qm::binOf(sizeOf(h));
    Links* l = links(h);
    if (l->prev)
        links(l->prev)->next = l->next;
    else
        bins_[b] = l->next;
    if (l->next) links(l->next)->prev = l->prev;
    if (!bins_[b]) binMap_.clear(b);
    --freeFrags_;
}

// Good fit: an exact list's head fits perfectly; in a class list, the first of a few
// candidates that is large enough; otherwise the head of the next non-empty class, whose
// every fragment is larger than `need`. Bounded work whatever the heap holds. The fragment
// stays in its list: the caller decides whether it must leave it.
template <bool kStacks>
typename QmHeap<kStacks>::Hdr* QmHeap<kStacks>::findFree(size_t need) const {
    constexpr int kCandidates = 16;
    size_t b = qm::binOf(need);
    if (b < qm::kExactBins) {
        if (bins_[b]) return bins_[b];
    } else {
        int seen = 0;
        for (Hdr* h = bins_[b]; h && seen < kCandidates; h = links(h)->next, ++seen)
            if (sizeOf(h) >= need) return h;
    }
    b = binMap_.firstFrom(b + 1);
    return b == qm::kBins ? nullptr : bins_[b];
}

// Sets the size of free fragment h (in a list), moving it only if its list changes: a big
// free fragment that shrinks or grows a little keeps its place, which spares the list
// neighbours' cache lines on most allocations and frees.
template <bool kStacks>
void QmHeap<kStacks>::resizeFree(Hdr* h, size_t size) {
    bool move = qm::binOf(size) != qm::binOf(sizeOf(h));
    if (move) unlinkFree(h);
    h->word = size | qm::kFree | (h->word & qm::kPrevFree);
    seal(h);
    writeFooter(h);
    if (move) insertFree(h);
}

// Makes h (whose header is complete and not in any list) free: merges it with free
// neighbours and puts the result in its list. h's own header stays marked free even if it
// is merged into the fragment before it, so a second free of it is still recognised.
template <bool kStacks>
void QmHeap<kStacks>::releaseFragment(Hdr* h, AllocSite site) {
    uint64_t prevFree = h->word & qm::kPrevFree;
    h->word = (h->word & ~(qm::kFlagMask)) | qm::kFree | prevFree;
    h->freeSite = site;
    seal(h);
    size_t size = sizeOf(h);
    Hdr* next = nextOf(h);
    bool nextMerged = false;
    if (hasNext(next) && isFree(next) && followable(next)) {
        unlinkFree(next);
        size += kHead + sizeOf(next) + kFoot;
        nextMerged = true;  // the fragment after it is already marked "previous free"
    }
    if (prevFree) {
        auto* pf = reinterpret_cast<qm::Footer*>(reinterpret_cast<char*>(h) - kFoot);
        auto* prev = reinterpret_cast<Hdr*>(reinterpret_cast<char*>(pf) - pf->size - kHead);
        if (reinterpret_cast<char*>(pf) - start_ >= static_cast<ptrdiff_t>(pf->size + kHead) &&
            followable(prev) && isFree(prev) && sizeOf(prev) == pf->size) {
            resizeFree(prev, sizeOf(prev) + kHead + size + kFoot);
            if (!nextMerged && hasNext(next)) next->word |= qm::kPrevFree;
            return;
        }
        reportCorruption(errors_, kName, pf, "free fragment before this one is damaged",
                         FaultOrigin{"free", site});
        prevFree = 0;
    }
    if (h->word != (size | qm::kFree | prevFree)) {
        h->word = size | qm::kFree | prevFree;
        seal(h);
    }
    writeFooter(h);
    if (!nextMerged && hasNext(next)) next->word |= qm::kPrevFree;
    insertFree(h);
}

// Splits the payload of h after `keep` bytes; the rest becomes a free fragment.
template <bool kStacks>
void QmHeap<kStacks>::carveRemainder(Hdr* h, size_t keep, AllocSite site) {
    size_t rest = sizeOf(h) - keep - kHead - kFoot;
    h->word = keep | (h->word & qm::kFlagMask);  // caller reseals h
    auto* r = reinterpret_cast<Hdr*>(payload(h) + keep + kFoot);
    r->word = rest;
    r->allocSite = AllocSite{};
    if constexpr (kStacks) r->stack = CallStack{};
    releaseFragment(r, site);
}

// --- operations ------------------------------------------------------------------------

template <bool kStacks>
void QmHeap<kStacks>::setUsed(Hdr* h, size_t size, size_t n, AllocSite site, const Stack& stack) {
    h->word = size | (static_cast<uint64_t>(size - n) << 48) | (h->word & qm::kPrevFree);
    h->allocSite = site;
    h->freeSite = AllocSite{};
    if constexpr (kStacks) h->stack = stack;
    seal(h);
    footerOf(h)->size = size;
    fillGuard(payload(h) + n, size - n + sizeof(qm::Footer::guard));
}

template <bool kStacks>
void* QmHeap<kStacks>::allocImpl(size_t n, AllocSite site, const Stack& stack) {
    size_t need = payloadFor(n);
    Hdr* h = need ? findFree(need) : nullptr;
    if (!h) {
        ++failCount_;
        return nullptr;
    }
    size_t have = sizeOf(h);
    if (have - need >= kMinSplit) {
        // Carve the block from the end of h: h stays free where it is, usually in the same
        // list (its list neighbours are not touched), and the new block follows it.
        resizeFree(h, have - need - kHead - kFoot);
        h = nextOf(h);
        h->word = need | qm::kPrevFree;
    } else {
        unlinkFree(h);
    }
    Hdr* next = nextOf(h);
    if (hasNext(next)) next->word &= ~qm::kPrevFree;
    setUsed(h, sizeOf(h), n, site, stack);
    ++liveFrags_;
    ++allocCount_;
    used_ += n;
    realUsed_ += kHead + sizeOf(h) + kFoot;
    if (realUsed_ > maxRealUsed_) maxRealUsed_ = realUsed_;
    return payload(h);
}

// Returns the header of p if p is a live block in good order; otherwise reports what is
// wrong (naming origin) and returns nullptr.
template <bool kStacks>
typename QmHeap<kStacks>::Hdr* QmHeap<kStacks>::validateLive(void* p, FaultOrigin origin) {
    if (!owns(p)) {
        reportFault(errors_, kName, FragFault::NotInHeap, p, BlockDesc{}, origin);
        return nullptr;
    }
    Hdr* h = headerOf(p);
    if ((reinterpret_cast<uintptr_t>(p) & (kAlign - 1)) || !followable(h)) {
        diagnose(p, origin);
        return nullptr;
    }
    if (isFree(h) || (h->word & qm::kQuarantined)) {
        // A quarantined block's first free was refused (and reported); this is its second.
        reportFault(errors_, kName, FragFault::DoubleFree, p, describe(h, true), origin);
        return nullptr;
    }
    if (h->canary != qm::kCanary) {
        reportFault(errors_, kName, FragFault::HeaderCorrupt, p, describe(h, false), origin);
        h->freeSite = origin.site;
        retire(h);
        return nullptr;
    }
    size_t n = requestedOf(h);
    size_t guardLen = slackOf(h) + sizeof(qm::Footer::guard);
    size_t broken = guardBreak(payload(h) + n, guardLen);
    if (broken < guardLen || footerOf(h)->size != sizeOf(h)) {
        size_t at = n + (broken < guardLen ? broken : guardLen);
        reportFault(errors_, kName, FragFault::Overrun, p, describe(h, false), origin, at);
        h->freeSite = origin.site;
        retire(h);
        return nullptr;
    }
    return h;
}

// Keeps a block whose neighbourhood was damaged out of use for good: it stays allocated
// (and listed by reportLive) with its tags repaired so walks and neighbours stay sane.
template <bool kStacks>
void QmHeap<kStacks>::retire(Hdr* h) {
    h->word |= qm::kQuarantined;
    seal(h);
    writeFooter(h);
}

template <bool kStacks>
void QmHeap<kStacks>::free(void* p, AllocSite site) {
    if (!p) return;
    Hdr* h = validateLive(p, FaultOrigin{"free", site});
    if (!h) return;
    --liveFrags_;
    ++freeCount_;
    used_ -= requestedOf(h);
    realUsed_ -= kHead + sizeOf(h) + kFoot;
    releaseFragment(h, site);
}

template <bool kStacks>
void* QmHeap<kStacks>::reallocImpl(void* p, size_t n, AllocSite site, const Stack& stack) {
    if (!p) return allocImpl(n, site, stack);
    if (n == 0) {
        free(p, site);
        return nullptr;
    }
    Hdr* h = validateLive(p, FaultOrigin{"realloc", site});
    if (!h) return nullptr;
    size_t need = payloadFor(n);
    if (!need) {
        ++failCount_;
        return nullptr;
    }
    size_t old = requestedOf(h);
    size_t oldSize = sizeOf(h);
    if (need > oldSize) {
        // Grow in place when the next fragment is free and large enough.
        Hdr* next = nextOf(h);
        if (!hasNext(next) || !isFree(next) || !followable(next) ||
            oldSize + kHead + sizeOf(next) + kFoot < need) {
            void* q = allocImpl(n, site, stack);
            if (!q) return nullptr;
            memcpy(q, p, old < n ? old : n);
            free(p, site);
            return q;
        }
        unlinkFree(next);
        h->word += kHead + sizeOf(next) + kFoot;  // size field; flags and slack unchanged
        Hdr* after = nextOf(h);
        if (hasNext(after)) after->word &= ~qm::kPrevFree;
    }
    if (sizeOf(h) - need >= kMinSplit) carveRemainder(h, need, site);
    setUsed(h, sizeOf(h), n, site, stack);
    used_ = used_ - old + n;
    realUsed_ = realUsed_ - oldSize + sizeOf(h);
    if (realUsed_ > maxRealUsed_) maxRealUsed_ = realUsed_;
    return p;
}

template <bool kStacks>
size_t QmHeap<kStacks>::usableSize(const void* p) const {
    const Hdr* h = liveHeader(p);
    return h ? requestedOf(h) : 0;
}

template <bool kStacks>
const typename QmHeap<kStacks>::Hdr* QmHeap<kStacks>::liveHeader(const void* p) const {
    if (!p || !owns(p) || (reinterpret_cast<uintptr_t>(p) & (kAlign - 1))) return nullptr;
    const Hdr* h = headerOf(p);
    if (!followable(h) || isFree(h)) return nullptr;
    return h;
}

template <bool kStacks>
void QmHeap<kStacks>::stats(HeapStats& out) const {
    out = HeapStats{};
    out.total = static_cast<size_t>(end_ - start_);
    out.used = used_;
    out.realUsed = realUsed_;
    out.maxRealUsed = maxRealUsed_;
    out.freeBytes = out.total - realUsed_;
    out.freeFragments = freeFrags_;
    size_t b = binMap_.last();
    if (b != qm::kBins) {
        int seen = 0;
        for (const Hdr* h = bins_[b]; h && seen < 64; h = links(h)->next, ++seen)
            if (sizeOf(h) > out.largestFree) out.largestFree = sizeOf(h);
    }
    out.allocCount = allocCount_;
    out.freeCount = freeCount_;
    out.failCount = failCount_;
}

}  // namespace osprey::mem
