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
using fm::kFlagMask;
using fm::kFree;
using fm::kHeader;
using fm::kMinBlock;
using fm::kPrevFree;

namespace {
constexpr size_t kControlSize = (sizeof(FmHeap) + 15) & ~size_t{15};
}

FmHeap::FmHeap(char* first, Block* epilogue, size_t total)
    : first_(first),
      blockSpan_(static_cast<size_t>(reinterpret_cast<char*>(epilogue) - first)),
      epilogue_(epilogue),
      top_(reinterpret_cast<Block*>(first)),
      total_(total),
      fixedOverhead_(kHeader),
      realUsed_(kHeader),
      maxRealUsed_(kHeader) {}

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
    top->prevSize = 0;
    top->head = static_cast<size_t>(reinterpret_cast<char*>(epilogue) - first) | kFree;
    epilogue->prevSize = 0;
    // Size 0 ends every walk. Flagged free so the inline free path, which only handles
    // blocks whose successor is in use, leaves blocks next to it to release(), which
    // turns them into the top.
    epilogue->head = kFree;
    heap->freeFragments_ = 1;
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

// Takes a free block of at least bs bytes from the class lists, splitting off the excess.
Block* FmHeap::takeFit(size_t bs) {
    unsigned c = classOf(bs);
    Block* f = nullptr;
    unsigned fc = c;
    // A large class mixes sizes; its first block may fit even though the class as a whole
    // is not guaranteed to.
    if (bs != classFloor(c) && heads_[c] && heads_[c]->size() >= bs) {
        f = heads_[c];
    } else {
        int found = findClass(bs == classFloor(c) ? c : c + 1);
        if (found < 0) return nullptr;
        fc = static_cast<unsigned>(found);
        f = heads_[fc];
    }
    size_t fs = f->size();
    size_t rest = fs - bs;
    if (rest >= kMinBlock) {
        if (classOf(rest) == fc) {
            // The remainder stays in the same class: hand out the tail, leave the list alone.
            f->head = rest | kFree;
            Block* a = f->at(rest);
            a->prevSize = rest;
            a->head = bs | kPrevFree;
            a->at(bs)->head &= ~kPrevFree;
            return a;
        }
        unlink(f, fc);
        f->head = bs;
        Block* r = f->at(bs);
        r->head = rest | kFree;
        r->at(rest)->prevSize = rest;  // its kPrevFree is already set: f was free
        link(r, classOf(rest));
        return f;
    }
    unlink(f, fc);
    f->head = fs;
    f->at(fs)->head &= ~kPrevFree;
    return f;
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
        nt->head = rest | kFree;
        top_ = nt;
    } else {
        t->head = ts;  // the top is the last block: nothing after it to update
        top_ = nullptr;
        --freeFragments_;
    }
    return t;
}

void* FmHeap::allocSlow(size_t n, AllocSite site) {
    if (n > fm::kMaxRequest) {
        noteFailure(n, site);
        return nullptr;
    }
    size_t bs = blockSizeFor(n);
    Block* b = takeFit(bs);
    if (!b) b = carveTop(bs);
    if (!b) {
        // Last resort before failing: the request's own class may hold a fitting block
        // behind its head. Only reached when the heap is nearly full at this size.
        unsigned c = classOf(bs);
        for (Block* f = heads_[c]; f; f = f->next) {
            if (f->size() >= bs) {
                unlink(f, c);
                link(f, c);  // now the head, which takeFit checks first
                b = takeFit(bs);
                break;
            }
        }
        if (!b) {
            noteFailure(n, site);
            return nullptr;
        }
    }
    countAlloc(b->size());
    return b->payload();
}

// Files an in-use block (already uncounted) as free, merging it with free neighbours.
void FmHeap::release(Block* b) {
    size_t size = b->size();
    Block* next = b->at(size);
    Block* start = b;
    size_t total = size;
    b->head |= kFree;  // if b vanishes into its predecessor, a later double free still sees it
    bool prevFiled = false;
    unsigned prevClass = 0;
    if (b->prevIsFree()) {
        start = b->prevPhys();
        prevFiled = true;
        prevClass = classOf(start->size());
        total += start->size();
    }
    if (next == top_ || next == epilogue_) {
        // The free block before the epilogue is always the top, never filed in a list.
        if (prevFiled) unlink(start, prevClass);
        if (next == top_) {
            total += next->size();
        } else {
            ++freeFragments_;
        }
        start->head = total | kFree;
        top_ = start;
        return;
    }
    if (next->isFree()) {
        size_t ns = next->size();
        unlink(next, classOf(ns));
        total += ns;
        next = next->at(ns);
    }
    unsigned c = classOf(total);
    if (!prevFiled) {
        link(start, c);
    } else if (c != prevClass) {
        unlink(start, prevClass);
        link(start, c);
    }
    start->head = total | kFree;
    next->prevSize = total;
    next->head |= kPrevFree;
}

bool FmHeap::checkInUse(const void* p, const char* op, AllocSite site) {
    uintptr_t off = reinterpret_cast<uintptr_t>(p) - kHeader - reinterpret_cast<uintptr_t>(first_);
    const char* why = nullptr;
    if (off >= blockSpan_ || (off & 15)) {
        why = "not a block of this heap";
    } else {
        size_t head = Block::of(p)->head;
        size_t size = head & ~kFlagMask;
        if (head & kFree) {
            why = "block already free (double free?)";
        } else if (size < kMinBlock || size > blockSpan_ - off) {
            why = "corrupt block tag or not a block start";
        }
    }
    if (!why) return true;
    uint64_t suppressed = 0;
    if (badPointerLog_.allow(&suppressed)) {
        memLog(LOG_ERR, "fm: %s(%p) at %s:%u: %s; ignored (%llu similar suppressed)", op, p,
               site.file_name(), static_cast<unsigned>(site.line()), why,
               static_cast<unsigned long long>(suppressed));
    }
    return false;
}

void FmHeap::noteFailure(size_t n, AllocSite site) {
    ++failCount_;
    uint64_t suppressed = 0;
    if (oomLog_.allow(&suppressed)) {
        memLog(LOG_ERR,
               "fm: out of memory: %zu bytes requested at %s:%u; %zu of %zu bytes free in %zu "
               "fragments (%llu failures suppressed)",
               n, site.file_name(), static_cast<unsigned>(site.line()), total_ - realUsed_,
               total_, freeFragments_, static_cast<unsigned long long>(suppressed));
    }
}

void FmHeap::freeSlow(void* p, AllocSite site) {
    if (!p) return;
    if (!checkInUse(p, "free", site)) return;
    Block* b = Block::of(p);
    realUsed_ -= b->size();
    ++freeCount_;
    release(b);
}

void* FmHeap::realloc(void* p, size_t n, AllocSite site) {
    if (!p) return alloc(n, site);
    if (n == 0) {
        free(p, site);
        return nullptr;
    }
    if (!checkInUse(p, "realloc", site)) return nullptr;
    if (n > fm::kMaxRequest) {
        noteFailure(n, site);
        return nullptr;
    }
    Block* b = Block::of(p);
    size_t cur = b->size();
    size_t bs = blockSizeFor(n);
    size_t prevFlag = b->head & kPrevFree;
    if (bs <= cur) {
        size_t rest = cur - bs;
        if (rest >= kMinBlock) {
            b->head = bs | prevFlag;
            Block* r = b->at(bs);
            r->head = rest;
            realUsed_ -= rest;
            release(r);
        }
        return p;
    }
    Block* next = b->at(cur);
    if (next != epilogue_ && next->isFree() && cur + next->size() >= bs) {
        size_t avail = cur + next->size();
        size_t rest = avail - bs;
        if (next == top_) {
            if (rest >= kMinBlock) {
                Block* nt = b->at(bs);
                nt->head = rest | kFree;
                top_ = nt;
            } else {
                bs = avail;
                b->at(avail)->head &= ~kPrevFree;
                top_ = nullptr;
                --freeFragments_;
            }
        } else {
            unlink(next, classOf(next->size()));
            if (rest >= kMinBlock) {
                Block* r = b->at(bs);
                r->head = rest | kFree;
                r->at(rest)->prevSize = rest;
                link(r, classOf(rest));
            } else {
                bs = avail;
                b->at(avail)->head &= ~kPrevFree;
            }
        }
        b->head = bs | prevFlag;
        realUsed_ += bs - cur;
        if (realUsed_ > maxRealUsed_) maxRealUsed_ = realUsed_;
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
    uint64_t live = allocCount_ - freeCount_;
    st.total = total_;
    st.realUsed = realUsed_;
    st.used = realUsed_ - fixedOverhead_ - live * kHeader;
    st.maxRealUsed = maxRealUsed_;
    st.freeBytes = total_ - realUsed_;
    st.freeFragments = freeFragments_;
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
    st.largestFree = largest ? largest - kHeader : 0;
    st.allocCount = allocCount_;
    st.freeCount = freeCount_;
    st.failCount = failCount_;
}

bool FmHeap::checkIntegrity() const {
    auto fail = [](const char* what, const void* where) {
        memLog(LOG_ERR, "fm: integrity check failed: %s at %p", what, where);
        return false;
    };
    size_t usedSum = 0, freeBlocks = 0, liveBlocks = 0;
    bool prevFree = false;
    size_t prevSize = 0;
    auto* b = reinterpret_cast<Block*>(first_);
    while (b != epilogue_) {
        size_t size = b->size();
        if (size < kMinBlock || size > static_cast<size_t>(reinterpret_cast<char*>(epilogue_) -
                                                           reinterpret_cast<char*>(b))) {
            return fail("bad block size", b);
        }
        if (b->prevIsFree() != prevFree) return fail("kPrevFree flag disagrees", b);
        if (prevFree && b->prevSize != prevSize) return fail("prevSize disagrees", b);
        if (b->isFree()) {
            if (prevFree) return fail("two free neighbours", b);
            ++freeBlocks;
            if (b == top_) {
                if (b->at(size) != epilogue_) return fail("top is not the last block", b);
            } else {
                unsigned c = classOf(size);
                const Block* f = heads_[c];
                while (f && f != b) f = f->next;
                if (!f) return fail("free block missing from its class list", b);
            }
        } else {
            usedSum += size;
            ++liveBlocks;
        }
        prevFree = b->isFree();
        prevSize = size;
        b = b->at(size);
    }
    if (top_ && !top_->isFree()) return fail("top not free", top_);
    if (prevFree && !top_) return fail("free last block is not the top", epilogue_);
    size_t listed = 0;
    for (unsigned c = 0; c < fm::kClasses; ++c) {
        bool bit = bitmap_[c >> 6] >> (c & 63) & 1;
        if (bit != (heads_[c] != nullptr)) return fail("bitmap disagrees with list", &heads_[c]);
        const Block* pv = nullptr;
        for (const Block* f = heads_[c]; f; f = f->next) {
            if (!f->isFree() || classOf(f->size()) != c || f->prev != pv) {
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
    if (freeFragments_ != freeBlocks) return fail("freeFragments counter", this);
    if (realUsed_ != usedSum + fixedOverhead_) return fail("realUsed counter", this);
    if (allocCount_ - freeCount_ != liveBlocks) return fail("alloc/free counters", this);
    return true;
}

} // namespace osprey::mem
