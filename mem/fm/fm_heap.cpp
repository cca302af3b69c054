// The fast (fm) allocator: everything but the two hot paths inlined in fm_heap.h.
#include "mem/fm/fm_heap.h"

#include <syslog.h>

#include <bit>
#include <cstring>
#include <new>

namespace osprey::mem {

using fm::Block;
using fm::blockSizeFor;
using fm::classFloor;
using fm::classOf;
using fm::kCached;
using fm::kFlagMask;
using fm::kFree;
using fm::kHeader;
using fm::kMinBlock;
using fm::kPrevFree;
using fm::kSmallLimit;

namespace {
constexpr size_t kControlSize = (sizeof(FmHeap) + 15) & ~size_t{15};
// Before growing into the top, merge cached blocks once they hold 1/64 of what is in use
// (and more than a small floor, so a small heap does not churn). Merging that early keeps
// the span lower than waiting (1/8: random_frag span 1.24x vs 1.19x); the cost is
// amortised since each merge starts the count from zero.
constexpr size_t kConsolidateShare = 64;
constexpr size_t kConsolidateFloor = 64 * 1024;
}

FmHeap::FmHeap(char* first, Block* epilogue, size_t total)
    : first_(first),
      blockSpan_(static_cast<size_t>(reinterpret_cast<char*>(epilogue) - first)),
      epilogue_(epilogue),
      top_(reinterpret_cast<Block*>(first)),
      c_(total, kHeader) {}

FmHeap* FmHeap::create(void* base, size_t size) {
    uintptr_t b = reinterpret_cast<uintptr_t>(base);
    if (!base || (b & 15)) {
        memLog(LOG_ERR, "fm: heap base %p is not 16-byte aligned", base);
        return nullptr;
    }
    size = size & ~size_t{15};
    if (size > fm::kMaxBlock) size = fm::kMaxBlock;  // larger regions: the excess stays unused
    if (size < kControlSize + kMinBlock + kHeader) {
        memLog(LOG_ERR, "fm: region of %zu bytes is too small for a heap", size);
        return nullptr;
    }
    char* first = static_cast<char*>(base) + kControlSize;
    auto* epilogue = reinterpret_cast<Block*>(static_cast<char*>(base) + size - kHeader);
    auto* heap = new (base) FmHeap(first, epilogue, size - kControlSize);

    auto* top = reinterpret_cast<Block*>(first);
    top->setPrevUsed();
    top->head = static_cast<size_t>(reinterpret_cast<char*>(epilogue) - first) | kFree;
    epilogue->setPrevUsed();
    epilogue->head = 0;  // size 0, in use: never merged, ends every walk
    heap->c_.freeFragments = 1;
    return heap;
}

int FmHeap::findClass(unsigned c) const {
    if (c >= fm::kClasses) return -1;
    unsigned w = c >> 6;
    uint64_t bits = bitmap_[w] & (~uint64_t{0} << (c & 63));
    if (!bits) {
        uint64_t words = w + 1 < 64 ? summary_ & (~uint64_t{0} << (w + 1)) : 0;
        if (!words) return -1;
        w = static_cast<unsigned>(std::countr_zero(words));
        bits = bitmap_[w];
    }
    return static_cast<int>(w * 64 + static_cast<unsigned>(std::countr_zero(bits)));
}

// Hands out bs bytes of free block f (a member of list fc), filing what is left over as a
// block of the same kind. f's own prevTag is untouched: a free predecessor stays free.
Block* FmHeap::carve(Block* f, unsigned fc, size_t bs) {
    size_t head = f->head;
    size_t fs = head & ~kFlagMask;
    size_t rest = fs - bs;
    if (head & kCached) {
        unlink(f, fc);
        if (rest >= kMinBlock) {
            f->head = bs;
            Block* r = f->at(bs);
            r->setPrevUsed();
            r->head = rest | kFree | kCached;
            r->at(rest)->setPrevFree(rest);
            link(r, static_cast<unsigned>(rest >> 4));
            cachedBytes_ -= bs;
        } else {
            f->head = fs;
            f->at(fs)->setPrevUsed();
            cachedBytes_ -= fs;
        }
        return f;
    }
    if (rest >= kMinBlock) {
        if (classOf(rest) == fc) {
            // The remainder stays in the same class: hand out the tail, leave the list alone.
            f->head = rest | kFree;
            Block* a = f->at(rest);
            a->setPrevFree(rest);
            a->head = bs;
            a->at(bs)->setPrevUsed();
            return a;
        }
        unlink(f, fc);
        f->head = bs;
        Block* r = f->at(bs);
        r->setPrevUsed();
        r->head = rest | kFree;
        r->at(rest)->setPrevFree(rest);
        link(r, classOf(rest));
        return f;
    }
    unlink(f, fc);
    f->head = fs;
    f->at(fs)->setPrevUsed();
    return f;
}

// Best fit by class: the request's own class if its first block fits, else the first
// non-empty class whose every block fits.
Block* FmHeap::takeFit(size_t bs) {
    unsigned c = classOf(bs);
    bool exact = bs == classFloor(c);  // always for small sizes: a class is one size
    // A large class mixes sizes (within 1/32): its first block may fit.
    if (!exact && heads_[c] && heads_[c]->size() >= bs) return carve(heads_[c], c, bs);
    int found = findClass(exact ? c : c + 1);
    if (found < 0) return nullptr;
    auto fc = static_cast<unsigned>(found);
    return carve(heads_[fc], fc, bs);
}

// A large class mixes sizes, so a fitting block may sit behind its head. Only walked when
// nothing else is left, i.e. the heap is nearly full at this size.
Block* FmHeap::takeFromOwnClass(size_t bs) {
    unsigned c = classOf(bs);
    for (Block* f = heads_[c]; f; f = f->next) {
        if (f->size() >= bs) return carve(f, c, bs);
    }
    return nullptr;
}

// Carves bs bytes from the low end of the untouched tail.
Block* FmHeap::carveTop(size_t bs) {
    Block* t = top_;
    if (!t) return nullptr;
    size_t ts = t->size();
    if (ts < bs) return nullptr;
    size_t rest = ts - bs;
    if (rest >= kMinBlock) {
        t->head = bs;
        Block* nt = t->at(bs);
        nt->setPrevUsed();
        nt->head = rest | kFree;
        top_ = nt;
    } else {
        t->head = ts;  // the last block; the epilogue's prevTag is never read
        top_ = nullptr;
        --c_.freeFragments;
    }
    return t;
}

void* FmHeap::allocSlow(size_t n, AllocSite site) {
    if (n <= fm::kMaxRequest) {
        size_t bs = blockSizeFor(n);
        for (;;) {
            Block* b = summary_ ? takeFit(bs) : nullptr;
            if (!b && cachedBytes_ >= bs && cachedBytes_ > c_.realUsed / kConsolidateShare &&
                cachedBytes_ > kConsolidateFloor) {
                // Merge cached blocks before growing into the untouched tail, so memory
                // freed in small pieces serves larger requests and the touched span stays
                // close to what is in use. Amortised: cachedBytes_ restarts from 0.
                consolidate();
                b = summary_ ? takeFit(bs) : nullptr;
            }
            if (!b) b = carveTop(bs);
            if (!b && bs >= kSmallLimit) b = takeFromOwnClass(bs);
            if (b) {
                c_.allocated(b->size());
                return b->payload();
            }
            if (!cachedBytes_) break;
            consolidate();
        }
    }
    noteFailure(n, site);
    return nullptr;
}

// Turns an in-use block (already uncounted) into a proper free block merged with its free
// neighbours: proper ones always (there is at most one on each side), cached ones up to
// kSwallowBudget per side so one free stays cheap; consolidate() takes care of the rest.
void FmHeap::release(Block* b) {
    size_t total = b->size();
    Block* start = b;
    b->head |= kFree;  // if b vanishes into its predecessor, a later double free still sees it
    unsigned budget = fm::kSwallowBudget;
    while (start->prevIsFree()) {
        Block* p = start->prevPhys();
        if (p->head & kCached) {
            if (!budget) break;
            --budget;
        }
        unlinkFree(p);
        total += p->size();
        start = p;
    }
    Block* next = b->at(b->size());
    budget = fm::kSwallowBudget;
    while (next->isFree()) {
        size_t nh = next->head;
        size_t ns = nh & ~kFlagMask;
        if (next == top_) {
            start->head = (total + ns) | kFree;
            top_ = start;
            return;
        }
        if (nh & kCached) {
            if (!budget) break;
            --budget;
        }
        unlinkFree(next);
        total += ns;
        next = next->at(ns);
    }
    start->head = total | kFree;
    if (next == epilogue_) {  // the last free block is the top (there was none)
        top_ = start;
        ++c_.freeFragments;
        return;
    }
    link(start, classOf(total));
    next->setPrevFree(total);
}

void FmHeap::consolidate() {
    // 1. Take every cached block out of its list into a private chain (linked through
    //    next). They stay counted as free fragments.
    Block* chain = nullptr;
    for (unsigned w = 0; w < (fm::kCacheLimit / 16 + 63) / 64; ++w) {
        uint64_t bits = bitmap_[w];
        while (bits) {
            unsigned c = w * 64 + static_cast<unsigned>(std::countr_zero(bits));
            bits &= bits - 1;
            for (Block* b = heads_[c]; b;) {
                Block* nx = b->next;
                if (b->head & kCached) {
                    unlink(b, c);
                    ++c_.freeFragments;
                    b->next = chain;
                    chain = b;
                }
                b = nx;
            }
        }
    }
    cachedBytes_ = 0;
    // 2. For each still-cached chain block: find the start of its run of free blocks and
    //    merge the whole run forward into one proper block, filed in its class. Chain blocks
    //    inside a merged run are marked swallowed (kCached without kFree) and skipped later;
    //    their chain links, inside the merged block's payload, are not overwritten meanwhile.
    constexpr size_t kBoth = kFree | kCached;
    while (chain) {
        Block* b = chain;
        chain = b->next;
        if ((b->head & kBoth) != kBoth) continue;  // swallowed, or already merged and filed
        // A free run is merged from its first cached block. A cached block before b still
        // waits on the chain (once merged it would have swallowed b), so b leaves the run to
        // it: touching it now would overwrite its chain link, and walking on to the run's
        // start from every member made long runs quadratic. Proper free blocks are never
        // adjacent, so this walk takes O(1) steps.
        Block* start = b;
        bool later = false;
        while (start->prevIsFree()) {
            start = start->prevPhys();
            if ((start->head & kBoth) == kBoth) {
                later = true;
                break;
            }
        }
        if (later) continue;
        size_t sh = start->head;
        size_t total = sh & ~kFlagMask;
        if (!(sh & kCached)) unlink(start, classOf(total));  // proper: listed (top is last)
        else --c_.freeFragments;  // on the chain, counted; counted again when filed
        Block* next = start->at(total);
        bool intoTop = false;
        while (next->isFree()) {
            size_t nh = next->head;
            size_t ns = nh & ~kFlagMask;
            if (next == top_) {
                total += ns;
                intoTop = true;
                break;
            }
            if (nh & kCached) {
                next->head = kCached;  // swallowed, still on the chain
                --c_.freeFragments;
            } else {
                unlink(next, classOf(ns));
            }
            total += ns;
            next = next->at(ns);
        }
        start->head = total | kFree;  // a run start: its predecessor is in use
        if (intoTop) {
            top_ = start;
        } else if (next == epilogue_) {
            top_ = start;
            ++c_.freeFragments;
        } else {
            link(start, classOf(total));
            next->setPrevFree(total);
        }
    }
}

const char* FmHeap::whyInvalid(const void* p) const {
    uintptr_t off = reinterpret_cast<uintptr_t>(p) - kHeader - reinterpret_cast<uintptr_t>(first_);
    if (off >= blockSpan_ || (off & 15)) return "not a block of this heap";
    size_t head = Block::of(p)->head;
    size_t size = head & ~kFlagMask;
    if (head & kFree) return "block already free (double free?)";
    if ((head & kCached) || size < kMinBlock || size > blockSpan_ - off) {
        return "corrupt block tag or not a block start";
    }
    return nullptr;
}

void FmHeap::reportBadPointer(const char* op, const void* p, const char* why, AllocSite site) {
    uint64_t suppressed = 0;
    if (badPointerLog_.allow(&suppressed)) {
        memLog(LOG_ERR, "fm: %s(%p) at %s:%u: %s; ignored (%llu similar suppressed)", op, p,
               site.file_name(), static_cast<unsigned>(site.line()), why,
               static_cast<unsigned long long>(suppressed));
    }
}

void FmHeap::freeInvalid(void* p, AllocSite site) {
    if (!p) return;
    const char* why = whyInvalid(p);
    reportBadPointer("free", p, why ? why : "rejected", site);
}

void FmHeap::noteFailure(size_t n, AllocSite site) {
    ++c_.failCount;
    uint64_t suppressed = 0;
    if (oomLog_.allow(&suppressed)) {
        memLog(LOG_ERR,
               "fm: out of memory: %zu bytes requested at %s:%u; %zu of %zu bytes free in %zu "
               "fragments (%llu failures suppressed)",
               n, site.file_name(), static_cast<unsigned>(site.line()), c_.total - c_.realUsed,
               c_.total, c_.freeFragments, static_cast<unsigned long long>(suppressed));
    }
}

void* FmHeap::realloc(void* p, size_t n, AllocSite site) {
    if (!p) return alloc(n, site);
    if (n == 0) {
        free(p, site);
        return nullptr;
    }
    if (const char* why = whyInvalid(p)) {
        reportBadPointer("realloc", p, why, site);
        return nullptr;
    }
    if (n > fm::kMaxRequest) {
        noteFailure(n, site);
        return nullptr;
    }
    Block* b = Block::of(p);
    size_t cur = b->size();
    size_t bs = blockSizeFor(n);
    if (bs <= cur) {
        size_t rest = cur - bs;
        if (rest >= kMinBlock) {
            b->head = bs;
            Block* r = b->at(bs);
            r->setPrevUsed();
            r->head = rest;
            c_.realUsed -= rest;
            release(r);
        }
        return p;
    }
    // Grow into a free successor of any kind.
    Block* next = b->at(cur);
    size_t nh = next->head;
    size_t ns = nh & ~kFlagMask;
    if ((nh & kFree) && cur + ns >= bs) {
        size_t avail = cur + ns;
        size_t rest = avail - bs;
        if (next == top_) {
            if (rest >= kMinBlock) {
                Block* nt = b->at(bs);
                nt->setPrevUsed();
                nt->head = rest | kFree;
                top_ = nt;
            } else {
                bs = avail;
                top_ = nullptr;
                --c_.freeFragments;
            }
        } else {
            unlinkFree(next);
            if (rest >= kMinBlock) {  // the rest keeps next's kind
                Block* r = b->at(bs);
                r->setPrevUsed();
                r->head = rest | (nh & (kFree | kCached));
                r->at(rest)->setPrevFree(rest);
                link(r, classOf(rest));
                if (nh & kCached) cachedBytes_ += rest;
            } else {
                bs = avail;
                b->at(avail)->setPrevUsed();
            }
        }
        b->head = bs;
        c_.grew(bs - cur);
        return p;
    }
    void* q = alloc(n, site);
    if (!q) return nullptr;
    std::memcpy(q, p, cur - kHeader);
    free(p, site);
    return q;
}

size_t FmHeap::usableSize(const void* p) const {
    if (!p || !owns(p)) return 0;
    return Block::of(p)->size() - kHeader;
}

void FmHeap::stats(HeapStats& st) const {
    size_t largest = top_ ? top_->size() : 0;
    if (summary_) {
        // Only the highest non-empty class can hold the largest block; its members differ
        // by < 1/32 in size, so this walk is the one O(n) step, on the admin path only.
        unsigned w = 63 - static_cast<unsigned>(std::countl_zero(summary_));
        unsigned c = w * 64 + 63 - static_cast<unsigned>(std::countl_zero(bitmap_[w]));
        for (const Block* b = heads_[c]; b; b = b->next) {
            if (b->size() > largest) largest = b->size();
        }
    }
    c_.fill(st, kHeader, largest);
}

bool FmHeap::checkIntegrity() const {
    auto fail = [](const char* what, const void* where) {
        memLog(LOG_ERR, "fm: integrity check failed: %s at %p", what, where);
        return false;
    };
    size_t usedSum = 0, freeBlocks = 0, liveBlocks = 0, cachedSum = 0;
    bool prevFree = false, prevProper = false;
    size_t prevSize = 0;
    auto* b = reinterpret_cast<Block*>(first_);
    while (b != epilogue_) {
        size_t size = b->size();
        if (size < kMinBlock || size > static_cast<size_t>(reinterpret_cast<char*>(epilogue_) -
                                                           reinterpret_cast<char*>(b))) {
            return fail("bad block size", b);
        }
        if (b->prevIsFree() != prevFree) return fail("kPrevFree flag disagrees", b);
        if (prevFree && (b->prevTag & ~kFlagMask) != prevSize) return fail("prevTag size", b);
        bool cached = b->head & kCached;
        if (cached && !b->isFree()) return fail("swallowed block at a block start", b);
        if (b->isFree()) {
            ++freeBlocks;
            if (cached) {
                if (size >= fm::kCacheLimit) return fail("large cached block", b);
                cachedSum += size;
            } else if (prevProper) {
                return fail("two proper free neighbours", b);
            }
            if (b == top_) {
                if (b->at(size) != epilogue_) return fail("top is not the last block", b);
            } else {
                if (!cached && b->at(size) == epilogue_) return fail("last free is not top", b);
                // Linked at its place (O(1), so the check stays linear); the list walk below
                // proves the lists themselves and that they hold exactly the free blocks.
                const bool linked = heads_[classOf(size)] == b ||
                                    (b->prev != nullptr && b->prev->next == b);
                if (!linked) return fail("free block missing from its class list", b);
            }
        } else {
            usedSum += size;
            ++liveBlocks;
        }
        prevFree = b->isFree();
        prevProper = prevFree && !cached;
        prevSize = size;
        b = b->at(size);
    }
    if (epilogue_->size() != 0 || epilogue_->isFree()) return fail("epilogue tag", epilogue_);
    if (top_ && (!top_->isFree() || (top_->head & kCached))) return fail("top not free", top_);
    size_t listed = 0;
    for (unsigned c = 0; c < fm::kClasses; ++c) {
        bool bit = bitmap_[c >> 6] >> (c & 63) & 1;
        if (bit != (heads_[c] != nullptr)) return fail("bitmap disagrees with list", &heads_[c]);
        const Block* pv = nullptr;
        for (const Block* f = heads_[c]; f; f = f->next) {
            if (!f->isFree() || f == top_ || classOf(f->size()) != c || (pv && f->prev != pv)) {
                return fail("bad list entry", f);
            }
            pv = f;
            if (++listed > freeBlocks) return fail("list longer than free blocks", f);
        }
    }
    for (unsigned w = 0; w < fm::kBitmapWords; ++w) {
        if (((summary_ >> w) & 1) != (bitmap_[w] != 0)) return fail("summary bitmap", &summary_);
    }
    if (listed + (top_ ? 1 : 0) != freeBlocks) return fail("free blocks not all listed", this);
    if (c_.freeFragments != freeBlocks) return fail("freeFragments counter", this);
    if (cachedBytes_ != cachedSum) return fail("cachedBytes counter", this);
    if (c_.realUsed != usedSum + c_.fixedOverhead) return fail("realUsed counter", this);
    if (c_.allocCount - c_.freeCount != liveBlocks) return fail("alloc/free counters", this);
    return true;
}

} // namespace osprey::mem
