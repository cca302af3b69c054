// DebugHeap<Inner>: what make MEMDBG=1 puts around fm and tlsf. Each block the inner heap
// hands out is prefixed with a record (allocation site, optional call stack, size, state,
// check word) and followed by a tail guard; live records are linked in an intrusive list
// inside the region, so reportLive() and check() work as for qm, in shm as in pkg. Faults
// are reported with the same one-line messages as qm (mem/debug/heap_error.h).
//
// Block layout inside the inner heap's allocation:
//
//   [Rec][caller's n bytes][tail guard up to the next 16-byte boundary + 16]
//
// The record's first bytes are the list links, the only part an inner heap overwrites with
// its own free-list data once the block is freed; state and check word sit at the end, so a
// freed record still says "freed" (double free) and an underrun hits the state first.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "mem/debug/frag_guard.h"
#include "mem/debug/heap_error.h"
#include "mem/debug/live_report.h"
#include "mem/debug/stack_trace.h"
#include "mem/heap_concept.h"
#include "mem/heap_extras.h"

namespace osprey::mem {

namespace debug {

struct NoStack {};

enum RecState : uint32_t {
    kLive = 0x4C495645u,     // "LIVE"
    kFreed = 0x46524545u,    // "FREE"
    kRetired = 0x52544952u,  // fault found at free: kept out of use, still listed
};

template <bool kStacks>
struct Rec {
    Rec* prev;
    Rec* next;
    uint64_t requested;
    AllocSite allocSite;
    AllocSite freeSite;
    [[no_unique_address]] std::conditional_t<kStacks, CallStack, NoStack> stack;
    uint32_t check;  // fragCheck(requested, allocSite)
    uint32_t state;  // RecState; last, right before the caller's bytes
};

// "<inner>+memdbg", built at compile time so kName stays a constant.
template <class Inner>
struct NameOf {
    static constexpr const char kSuffix[] = "+memdbg";
    static constexpr size_t kLen = std::char_traits<char>::length(Inner::kName);
    static constexpr std::array<char, kLen + sizeof kSuffix> value = [] {
        std::array<char, kLen + sizeof kSuffix> a{};
        for (size_t i = 0; i < kLen; ++i) a[i] = Inner::kName[i];
        for (size_t i = 0; i < sizeof kSuffix; ++i) a[kLen + i] = kSuffix[i];
        return a;
    }();
};

}  // namespace debug

template <Heap Inner, bool kStacks = true>
class DebugHeap {
    using Rec = debug::Rec<kStacks>;
    using Stack = std::conditional_t<kStacks, CallStack, debug::NoStack>;

public:
    static constexpr const char* kName = debug::NameOf<Inner>::value.data();
    static constexpr size_t kRec = sizeof(Rec);
    static_assert(kRec % kAlign == 0);

    static DebugHeap* create(void* base, size_t size);

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
    size_t usableSize(const void* p) const {
        const Rec* r = liveRec(p);
        return r ? r->requested : 0;
    }
    bool owns(const void* p) const {
        auto* c = static_cast<const char*>(p);
        return c >= reinterpret_cast<const char*>(this) && c < end_;
    }
    void stats(HeapStats& out) const {
        inner()->stats(out);
        out.used = used_;
        out.failCount += failCount_;
        // What one caller's request can get: the inner block minus record and guard.
        size_t inner = out.largestFree & ~(kAlign - 1);
        out.largestFree = inner > kRec + 16 ? inner - kRec - 16 : 0;
    }

    // Walks the live list (and the inner heap, if it can check itself); logs each problem.
    bool check() const;
    bool checkIntegrity() const { return check(); }  // the name fm and tlsf use
    // Writes live blocks grouped by allocation site to fd; returns how many are live.
    size_t reportLive(int fd) const {
        LiveReport report(kName);
        collectLive(report);
        return report.write(fd);
    }
    // Adds every live block to `out` without symbolising or writing anything, so a caller
    // holding the heap's lock can release it before the (slower) LiveReport::write.
    void collectLive(LiveReport& out) const;
    const CallStack* allocationStack(const void* p) const requires kStacks {
        const Rec* r = liveRec(p);
        return r ? &r->stack : nullptr;
    }

    Inner* inner() {
        return reinterpret_cast<Inner*>(reinterpret_cast<char*>(this) + innerOffset_);
    }
    const Inner* inner() const {
        return reinterpret_cast<const Inner*>(reinterpret_cast<const char*>(this) + innerOffset_);
    }

private:
    DebugHeap() = default;

    static char* user(const Rec* r) {
        return const_cast<char*>(reinterpret_cast<const char*>(r)) + kRec;
    }
    static Rec* recOf(const void* p) {
        return reinterpret_cast<Rec*>(const_cast<char*>(static_cast<const char*>(p)) - kRec);
    }
    static size_t guardLen(size_t n) { return ((n + kAlign - 1) & ~(kAlign - 1)) + 16 - n; }
    static bool sound(const Rec* r) {
        return r->check == fragCheck(r->requested, siteBits(r->allocSite));
    }
    static BlockDesc describe(const Rec* r, bool withFree) {
        BlockDesc d;
        d.user = user(r);
        d.size = r->requested;
        d.siteKnown = true;
        d.allocSite = r->allocSite;
        d.freedKnown = withFree && r->freeSite.file_name()[0] != '\0';
        d.freedAt = r->freeSite;
        return d;
    }
    // Could a record start at c? (inside the inner region, aligned)
    bool recordable(const void* p) const {
        auto* c = static_cast<const char*>(p);
        return !(reinterpret_cast<uintptr_t>(c) & (kAlign - 1)) &&
               c >= reinterpret_cast<const char*>(inner()) + kRec && c < end_;
    }
    bool linked(const Rec* r) const {
        return (r->prev ? recordable(user(r->prev)) && r->prev->next == r : head_ == r) &&
               (!r->next || (recordable(user(r->next)) && r->next->prev == r));
    }
    void link(Rec* r) {
        r->prev = nullptr;
        r->next = head_;
        if (head_) head_->prev = r;
        head_ = r;
    }
    void unlink(Rec* r) {
        if (r->prev)
            r->prev->next = r->next;
        else
            head_ = r->next;
        if (r->next) r->next->prev = r->prev;
    }
    void fill(Rec* r, size_t n, AllocSite site, const Stack& stack) {
        r->requested = n;
        r->allocSite = site;
        r->freeSite = AllocSite{};
        if constexpr (kStacks) r->stack = stack;
        r->check = fragCheck(n, siteBits(site));
        r->state = debug::kLive;
        fillGuard(user(r) + n, guardLen(n));
    }
    const Rec* liveRec(const void* p) const {
        if (!p || !recordable(p)) return nullptr;
        const Rec* r = recOf(p);
        return sound(r) && r->state == debug::kLive ? r : nullptr;
    }

    void* allocImpl(size_t n, AllocSite site, const Stack& stack);
    void* reallocImpl(void* p, size_t n, AllocSite site, const Stack& stack);
    Rec* validateLive(void* p, FaultOrigin origin);
    void diagnose(const void* p, FaultOrigin origin) const;

    static constexpr size_t kMaxRequest = size_t{1} << 47;

    uint64_t magic_ = 0;
    size_t innerOffset_ = 0;
    char* end_ = nullptr;
    Rec* head_ = nullptr;  // live list, newest first
    size_t live_ = 0;
    size_t used_ = 0;
    uint64_t failCount_ = 0;  // refusals the inner heap never saw (absurd sizes)
    mutable ErrorBudget errors_;
};

template <Heap Inner, bool kStacks>
DebugHeap<Inner, kStacks>* DebugHeap<Inner, kStacks>::create(void* base, size_t size) {
    if (!base) return nullptr;
    auto begin = reinterpret_cast<uintptr_t>(base);
    uintptr_t aligned = (begin + kAlign - 1) & ~(kAlign - 1);
    constexpr size_t kCtrl = (sizeof(DebugHeap) + kAlign - 1) & ~(kAlign - 1);
    if (size < aligned - begin + kCtrl + kRec) return nullptr;
    Inner* in =
        Inner::create(reinterpret_cast<void*>(aligned + kCtrl), size - (aligned - begin) - kCtrl);
    if (!in) return nullptr;
    auto* heap = new (reinterpret_cast<void*>(aligned)) DebugHeap();
    heap->magic_ = 0x6D656D6462677631ull;  // "memdbgv1"
    heap->innerOffset_ = reinterpret_cast<uintptr_t>(in) - aligned;
    heap->end_ = reinterpret_cast<char*>(begin + size);
    return heap;
}

template <Heap Inner, bool kStacks>
void* DebugHeap<Inner, kStacks>::allocImpl(size_t n, AllocSite site, const Stack& stack) {
    if (n > kMaxRequest) {
        ++failCount_;
        return nullptr;
    }
    auto* r = static_cast<Rec*>(inner()->alloc(kRec + n + guardLen(n), site));
    if (!r) return nullptr;
    fill(r, n, site, stack);
    link(r);
    ++live_;
    used_ += n;
    return user(r);
}

// Returns the record of p if p is a live block in good order; otherwise reports what is
// wrong (naming origin) and returns nullptr.
template <Heap Inner, bool kStacks>
typename DebugHeap<Inner, kStacks>::Rec* DebugHeap<Inner, kStacks>::validateLive(
    void* p, FaultOrigin origin) {
    if (!owns(p)) {
        reportFault(errors_, kName, FragFault::NotInHeap, p, BlockDesc{}, origin);
        return nullptr;
    }
    Rec* r = recOf(p);
    if (!recordable(p) || !sound(r)) {
        diagnose(p, origin);
        return nullptr;
    }
    if (r->state == debug::kFreed || r->state == debug::kRetired) {
        reportFault(errors_, kName, FragFault::DoubleFree, p, describe(r, true), origin);
        return nullptr;
    }
    if (!linked(r)) {
        diagnose(p, origin);  // a plausible record that is not on the live list
        return nullptr;
    }
    if (r->state != debug::kLive) {
        reportFault(errors_, kName, FragFault::HeaderCorrupt, p, describe(r, false), origin);
    } else {
        size_t len = guardLen(r->requested);
        size_t broken = guardBreak(user(r) + r->requested, len);
        if (broken == len) return r;
        reportFault(errors_, kName, FragFault::Overrun, p, describe(r, false), origin,
                    r->requested + broken);
    }
    // Keep the block out of use for good; it stays listed so reportLive() still shows it.
    r->state = debug::kRetired;
    r->freeSite = origin.site;
    return nullptr;
}

template <Heap Inner, bool kStacks>
void DebugHeap<Inner, kStacks>::free(void* p, AllocSite site) {
    if (!p) return;
    Rec* r = validateLive(p, FaultOrigin{"free", site});
    if (!r) return;
    unlink(r);
    --live_;
    used_ -= r->requested;
    r->state = debug::kFreed;
    r->freeSite = site;
    inner()->free(r, site);
}

template <Heap Inner, bool kStacks>
void* DebugHeap<Inner, kStacks>::reallocImpl(void* p, size_t n, AllocSite site,
                                             const Stack& stack) {
    if (!p) return allocImpl(n, site, stack);
    if (n == 0) {
        free(p, site);
        return nullptr;
    }
    Rec* r = validateLive(p, FaultOrigin{"realloc", site});
    if (!r) return nullptr;
    if (n > kMaxRequest) {
        ++failCount_;
        return nullptr;
    }
    size_t old = r->requested;
    // If the inner heap moves the block, the old record it leaves behind must read "freed".
    unlink(r);
    r->state = debug::kFreed;
    r->freeSite = site;
    auto* q = static_cast<Rec*>(inner()->realloc(r, kRec + n + guardLen(n), site));
    if (!q) {
        r->state = debug::kLive;
        r->freeSite = AllocSite{};
        link(r);
        return nullptr;
    }
    fill(q, n, site, stack);
    link(q);
    used_ = used_ - old + n;
    return user(q);
}

}  // namespace osprey::mem

#include "mem/debug/debug_heap_check.h"
