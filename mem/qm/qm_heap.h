// qm, the quick-debug allocator (make MEMMNG=qm; the spirit of Kamailio's q_malloc).
// Every fragment carries a header and a footer (boundary tags) that record who allocated it
// (AllocSite, and with kStacks a short call stack), so double frees, overruns, underruns and
// stray pointers are reported with the allocating line, and reportLive() lists what is still
// in use. Free fragments sit in segregated lists (qm_bins.h) and are coalesced on free, so
// allocation never walks one long list.
//
// Fragment layout (all parts multiples of 16 bytes, so every payload is 16-byte aligned):
//
//   [Header][payload: requested bytes | tail guard ...][Footer: guard word, payload size]
//
// The tail guard runs from the end of the requested bytes through the footer's first word,
// so a one-byte overrun is caught. The header ends with a canary, so a one-byte underrun is
// caught; its check word covers the size and allocation site, so a report can still believe
// them when only the canary was hit. Free fragments keep their header (free flag, freeing
// site) even when merged into a neighbour, which is what recognises a later double free.
//
// The heap holds no pointers outside its region except AllocSite's static strings and code
// return addresses, both valid in forked children, so it works in a MAP_SHARED segment.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "mem/debug/frag_guard.h"
#include "mem/debug/heap_error.h"
#include "mem/debug/live_report.h"
#include "mem/debug/stack_trace.h"
#include "mem/heap_concept.h"
#include "mem/qm/qm_bins.h"

namespace osprey::mem {

namespace qm {

struct NoStack {};

template <bool kStacks>
struct Header {
    uint64_t word;  // payload size | (payload - requested) << 48 | flags
    AllocSite allocSite;
    AllocSite freeSite;  // last free (or refused free) of this fragment
    [[no_unique_address]] std::conditional_t<kStacks, CallStack, NoStack> stack;
    uint32_t check;   // fragCheck(word without flags, allocSite)
    uint32_t canary;  // last, right before the payload: an underrun hits it first
};

struct Footer {
    uint64_t guard;  // tail guard pattern (end of every fragment's guard)
    uint64_t size;   // payload size, to find the header of a free fragment from behind
};

inline constexpr uint64_t kFree = 1;         // fragment is free
inline constexpr uint64_t kPrevFree = 2;     // the fragment before this one is free
inline constexpr uint64_t kQuarantined = 4;  // fault found at free: never reused, never merged
inline constexpr uint64_t kFlagMask = 15;
inline constexpr uint64_t kSizeMask = ((uint64_t{1} << 48) - 1) & ~kFlagMask;
inline constexpr uint32_t kCanary = 0xC0FFEE5Au;

}  // namespace qm

template <bool kStacks>
class QmHeap {
    using Hdr = qm::Header<kStacks>;
    using Stack = std::conditional_t<kStacks, CallStack, qm::NoStack>;
    struct Links {
        Hdr* prev;
        Hdr* next;
    };

public:
    static constexpr const char* kName = "qm";
    static constexpr size_t kHead = sizeof(Hdr);
    static constexpr size_t kFoot = sizeof(qm::Footer);
    static constexpr size_t kMinPayload = sizeof(Links);
    static constexpr size_t kMinSplit = kHead + kMinPayload + kFoot;  // smallest fragment
    static_assert(kHead % kAlign == 0 && kFoot % kAlign == 0 && kMinPayload % kAlign == 0);

    static QmHeap* create(void* base, size_t size);

    [[gnu::noinline]] void* alloc(size_t n, AllocSite site = AllocSite::current()) {
        Stack stack{};
        if constexpr (kStacks) captureStack(stack);
        return allocImpl(n, site, stack);
    }
    void free(void* p, AllocSite site = AllocSite::current());
    [[gnu::noinline]] void* realloc(void* p, size_t n, AllocSite site = AllocSite::current()) {
        Stack stack{};
        if constexpr (kStacks) captureStack(stack);
        return reallocImpl(p, n, site, stack);
    }
    size_t usableSize(const void* p) const;
    bool owns(const void* p) const {
        auto* c = static_cast<const char*>(p);
        return c >= reinterpret_cast<const char*>(this) && c < end_;
    }
    void stats(HeapStats& out) const;

    // Walks every fragment and every free list; logs each problem, returns true if none.
    bool check() const;
    bool checkIntegrity() const { return check(); }  // the name fm and tlsf use
    // Writes live fragments grouped by allocation site to fd; returns how many are live.
    size_t reportLive(int fd) const {
        LiveReport report(kName);
        collectLive(report);
        return report.write(fd);
    }
    // Adds every live fragment to `out` without symbolising or writing anything, so a caller
    // holding the heap's lock can release it before the (slower) LiveReport::write.
    void collectLive(LiveReport& out) const;
    // The call stack recorded when the live block p was allocated (nullptr if p is not one).
    const CallStack* allocationStack(const void* p) const requires kStacks {
        const Hdr* h = liveHeader(p);
        return h ? &h->stack : nullptr;
    }

private:
    QmHeap() = default;

    // --- fragment geometry -----------------------------------------------------------
    static Hdr* headerOf(const void* p) {
        return reinterpret_cast<Hdr*>(const_cast<char*>(static_cast<const char*>(p)) - kHead);
    }
    static char* payload(const Hdr* h) {
        return const_cast<char*>(reinterpret_cast<const char*>(h)) + kHead;
    }
    static size_t sizeOf(const Hdr* h) { return h->word & qm::kSizeMask; }
    static size_t slackOf(const Hdr* h) { return h->word >> 48; }
    static size_t requestedOf(const Hdr* h) { return sizeOf(h) - slackOf(h); }
    static qm::Footer* footerOf(const Hdr* h) {
        return reinterpret_cast<qm::Footer*>(payload(h) + sizeOf(h));
    }
    static Hdr* nextOf(const Hdr* h) {
        return reinterpret_cast<Hdr*>(payload(h) + sizeOf(h) + kFoot);
    }
    static Links* links(const Hdr* h) { return reinterpret_cast<Links*>(payload(h)); }
    static bool isFree(const Hdr* h) { return h->word & qm::kFree; }
    static void seal(Hdr* h) {
        h->check = fragCheck(h->word & ~qm::kFlagMask, siteBits(h->allocSite));
        h->canary = qm::kCanary;
    }
    static void writeFooter(Hdr* h) {
        qm::Footer* f = footerOf(h);
        fillGuard(reinterpret_cast<char*>(&f->guard), sizeof f->guard);
        f->size = sizeOf(h);
    }
    // Payload for n requested bytes, or 0 if no region could hold it.
    static size_t payloadFor(size_t n) {
        if (n > (uint64_t{1} << 47)) return 0;
        size_t s = (n + kAlign - 1) & ~(kAlign - 1);
        return s < kMinPayload ? kMinPayload : s;
    }

    // A header whose size and site can be believed: inside the region, check word matches.
    bool followable(const Hdr* h) const {
        auto* c = reinterpret_cast<const char*>(h);
        if (c < start_ || c + kHead + kMinPayload + kFoot > end_) return false;
        if (h->check != fragCheck(h->word & ~qm::kFlagMask, siteBits(h->allocSite))) return false;
        return sizeOf(h) >= kMinPayload &&
               sizeOf(h) <= static_cast<size_t>(end_ - c) - kHead - kFoot;
    }
    bool hasNext(const Hdr* h) const { return reinterpret_cast<const char*>(h) < end_; }
    const Hdr* liveHeader(const void* p) const;
    static BlockDesc describe(const Hdr* h, bool withFree);

    // --- free lists ------------------------------------------------------------------
    void insertFree(Hdr* h);
    void unlinkFree(Hdr* h);
    Hdr* findFree(size_t need) const;
    void resizeFree(Hdr* h, size_t size);
    void releaseFragment(Hdr* h, AllocSite site);
    void carveRemainder(Hdr* h, size_t keep, AllocSite site);

    // --- operations ------------------------------------------------------------------
    void* allocImpl(size_t n, AllocSite site, const Stack& stack);
    void* reallocImpl(void* p, size_t n, AllocSite site, const Stack& stack);
    void setUsed(Hdr* h, size_t size, size_t n, AllocSite site, const Stack& stack);
    Hdr* validateLive(void* p, FaultOrigin origin);
    void diagnose(const void* p, FaultOrigin origin) const;
    void retire(Hdr* h);

    uint64_t magic_ = 0;
    char* start_ = nullptr;  // first fragment header
    char* end_ = nullptr;    // end of the last fragment (and of the region in use)
    size_t liveFrags_ = 0;
    size_t freeFrags_ = 0;
    size_t used_ = 0;
    size_t realUsed_ = 0;
    size_t maxRealUsed_ = 0;
    uint64_t allocCount_ = 0;
    uint64_t freeCount_ = 0;
    uint64_t failCount_ = 0;
    qm::BinMap binMap_;
    Hdr* bins_[qm::kBins] = {};
    mutable ErrorBudget errors_;
};

}  // namespace osprey::mem

#include "mem/qm/qm_heap_check.h"
#include "mem/qm/qm_heap_impl.h"

namespace osprey::mem {
extern template class QmHeap<false>;
extern template class QmHeap<true>;
}  // namespace osprey::mem
