// The TLSF allocator; see tlsf_heap.h and tlsf_block.h.
#include "mem/tlsf/tlsf_heap.h"

#include <syslog.h>

#include <bit>
#include <cstring>
#include <new>

namespace osprey::mem {

using tlsf::Block;
using tlsf::blockSizeFor;
using tlsf::Index;
using tlsf::kFlagMask;
using tlsf::kFlCount;
using tlsf::kFree;
using tlsf::kHeader;
using tlsf::kMinBlock;
using tlsf::kPrevFree;
using tlsf::mappingInsert;
using tlsf::mappingSearch;

namespace {
constexpr size_t kControlSize = (sizeof(TlsfHeap) + 15) & ~size_t{15};
}

TlsfHeap::TlsfHeap(char* first, Block* epilogue, size_t total)
    : first_(first),
      blockSpan_(static_cast<size_t>(reinterpret_cast<char*>(epilogue) - first)),
      epilogue_(epilogue),
      c_(total, kHeader) {}

TlsfHeap* TlsfHeap::create(void* base, size_t size) {
    uintptr_t b = reinterpret_cast<uintptr_t>(base);
    if (!base || (b & 15)) {
        memLog(LOG_ERR, "tlsf: heap base %p is not 16-byte aligned", base);
        return nullptr;
    }
    size = size & ~size_t{15};
    if (size > tlsf::kMaxBlock) size = tlsf::kMaxBlock;  // the excess stays unused
    if (size < kControlSize + kMinBlock + kHeader) {
        memLog(LOG_ERR, "tlsf: region of %zu bytes is too small for a heap", size);
        return nullptr;
    }
    char* first = static_cast<char*>(base) + kControlSize;
    auto* epilogue = reinterpret_cast<Block*>(static_cast<char*>(base) + size - kHeader);
    auto* heap = new (base) TlsfHeap(first, epilogue, size - kControlSize);

    auto* all = reinterpret_cast<Block*>(first);
    size_t allSize = static_cast<size_t>(reinterpret_cast<char*>(epilogue) - first);
    all->prevSize = 0;
    all->head = allSize | kFree;
    epilogue->prevSize = allSize;
    epilogue->head = kPrevFree;  // size 0, in use: never merged, ends every walk
    heap->insert(all);
    return heap;
}

void TlsfHeap::insert(Block* b) {
    Index i = mappingInsert(b->size());
    Block*& h = heads_[i.fl][i.sl];
    b->next = h;
    b->prev = nullptr;
    if (h) h->prev = b;
    h = b;
    slBitmap_[i.fl] |= 1u << i.sl;
    flBitmap_ |= uint64_t{1} << i.fl;
    ++c_.freeFragments;
}

void TlsfHeap::remove(Block* b, Index i) {
    Block* nx = b->next;
    Block* pv = b->prev;
    if (nx) nx->prev = pv;
    if (pv) {
        pv->next = nx;
    } else {
        heads_[i.fl][i.sl] = nx;
        if (!nx) {
            slBitmap_[i.fl] &= ~(1u << i.sl);
            if (!slBitmap_[i.fl]) flBitmap_ &= ~(uint64_t{1} << i.fl);
        }
    }
    --c_.freeFragments;
}

// Removes and returns a free block of at least bs bytes ("find_suitable_block").
Block* TlsfHeap::findFit(size_t bs) {
    Index i = mappingSearch(bs);
    if (i.fl < kFlCount) {
        unsigned fl = i.fl;
        uint32_t sl = slBitmap_[fl] & (~0u << i.sl);
        if (!sl) {
            uint64_t fls = fl + 1 < 64 ? flBitmap_ & (~uint64_t{0} << (fl + 1)) : 0;
            if (fls) {
                fl = static_cast<unsigned>(std::countr_zero(fls));
                sl = slBitmap_[fl];
            }
        }
        if (sl) {
            unsigned s = static_cast<unsigned>(std::countr_zero(sl));
            Block* b = heads_[fl][s];
            remove(b, {fl, s});
            return b;
        }
    }
    // Rounding up skipped the request's own list, whose blocks may still fit. Only reached
    // when nothing bigger is free, i.e. the heap is nearly full at this size.
    Index j = mappingInsert(bs);
    for (Block* b = heads_[j.fl][j.sl]; b; b = b->next) {
        if (b->size() >= bs) {
            remove(b, j);
            return b;
        }
    }
    return nullptr;
}

// Hands out free block b (already unlisted), returning its excess over bs to the lists.
void* TlsfHeap::use(Block* b, size_t bs) {
    size_t size = b->size();
    size_t rest = size - bs;
    if (rest >= kMinBlock) {
        b->head = bs;  // a free block's predecessor is always in use
        Block* r = b->at(bs);
        r->head = rest | kFree;
        r->at(rest)->prevSize = rest;  // its kPrevFree is already set: b was free
        insert(r);
        size = bs;
    } else {
        b->head = size;
        b->at(size)->head &= ~kPrevFree;
    }
    c_.allocated(size);
    return b->payload();
}

void* TlsfHeap::alloc(size_t n, AllocSite site) {
    if (n > tlsf::kMaxRequest) {
        noteFailure(n, site);
        return nullptr;
    }
    size_t bs = blockSizeFor(n);
    Block* b = findFit(bs);
    if (!b) {
        noteFailure(n, site);
        return nullptr;
    }
    return use(b, bs);
}

// Files an in-use block (already uncounted) as free, merging it with free neighbours.
void TlsfHeap::release(Block* b) {
    size_t size = b->size();
    b->head |= kFree;  // if b vanishes into its predecessor, a later double free still sees it
    if (b->prevIsFree()) {
        Block* p = b->prevPhys();
        remove(p);
        size += p->size();
        b = p;
    }
    Block* next = b->at(size);
    if (next->isFree()) {
        remove(next);
        size += next->size();
        next = b->at(size);
    }
    b->head = size | kFree;
    next->prevSize = size;
    next->head |= kPrevFree;
    insert(b);
}

bool TlsfHeap::checkInUse(const void* p, const char* op, AllocSite site) {
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
        memLog(LOG_ERR, "tlsf: %s(%p) at %s:%u: %s; ignored (%llu similar suppressed)", op, p,
               site.file_name(), static_cast<unsigned>(site.line()), why,
               static_cast<unsigned long long>(suppressed));
    }
    return false;
}

void TlsfHeap::noteFailure(size_t n, AllocSite site) {
    ++c_.failCount;
    uint64_t suppressed = 0;
    if (oomLog_.allow(&suppressed)) {
        memLog(LOG_ERR,
               "tlsf: out of memory: %zu bytes requested at %s:%u; %zu of %zu bytes free in "
               "%zu fragments (%llu failures suppressed)",
               n, site.file_name(), static_cast<unsigned>(site.line()), c_.total - c_.realUsed,
               c_.total, c_.freeFragments, static_cast<unsigned long long>(suppressed));
    }
}

void TlsfHeap::free(void* p, AllocSite site) {
    if (!p) return;
    if (!checkInUse(p, "free", site)) return;
    Block* b = Block::of(p);
    c_.realUsed -= b->size();
    ++c_.freeCount;
    release(b);
}

void* TlsfHeap::realloc(void* p, size_t n, AllocSite site) {
    if (!p) return alloc(n, site);
    if (n == 0) {
        free(p, site);
        return nullptr;
    }
    if (!checkInUse(p, "realloc", site)) return nullptr;
    if (n > tlsf::kMaxRequest) {
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
            c_.realUsed -= rest;
            release(r);
        }
        return p;
    }
    Block* next = b->at(cur);
    if (next->isFree() && cur + next->size() >= bs) {
        remove(next);
        size_t avail = cur + next->size();
        size_t rest = avail - bs;
        if (rest >= kMinBlock) {
            Block* r = b->at(bs);
            r->head = rest | kFree;
            r->at(rest)->prevSize = rest;
            insert(r);
        } else {
            bs = avail;
            b->at(avail)->head &= ~kPrevFree;
        }
        b->head = bs | prevFlag;
        c_.grew(bs - cur);
        return p;
    }
    void* q = alloc(n, site);
    if (!q) return nullptr;
    std::memcpy(q, p, cur - kHeader);
    free(p, site);
    return q;
}

size_t TlsfHeap::usableSize(const void* p) const {
    if (!p || !owns(p)) return 0;
    return Block::of(p)->size() - kHeader;
}

void TlsfHeap::stats(HeapStats& st) const {
    size_t largest = 0;
    if (flBitmap_) {
        // Only the highest non-empty list can hold the largest block (admin path: O(list)).
        unsigned fl = 63 - static_cast<unsigned>(std::countl_zero(flBitmap_));
        unsigned sl = 31 - static_cast<unsigned>(std::countl_zero(slBitmap_[fl]));
        for (const Block* b = heads_[fl][sl]; b; b = b->next) {
            if (b->size() > largest) largest = b->size();
        }
    }
    c_.fill(st, kHeader, largest);
}

bool TlsfHeap::checkIntegrity() const {
    auto fail = [](const char* what, const void* where) {
        memLog(LOG_ERR, "tlsf: integrity check failed: %s at %p", what, where);
        return false;
    };
    size_t usedSum = 0, freeBlocks = 0, liveBlocks = 0;
    bool prevFree = false;
    size_t prevSize = 0;
    auto* b = reinterpret_cast<Block*>(first_);
    for (;;) {
        if (b->prevIsFree() != prevFree) return fail("kPrevFree flag disagrees", b);
        if (prevFree && b->prevSize != prevSize) return fail("prevSize disagrees", b);
        if (b == epilogue_) break;
        size_t size = b->size();
        if (size < kMinBlock || size > static_cast<size_t>(reinterpret_cast<char*>(epilogue_) -
                                                           reinterpret_cast<char*>(b))) {
            return fail("bad block size", b);
        }
        if (b->isFree()) {
            if (prevFree) return fail("two free neighbours", b);
            ++freeBlocks;
            Index i = mappingInsert(size);
            // Linked at its place (O(1), so the check stays linear); the list walk below
            // proves the lists themselves and that they hold exactly the free blocks.
            const bool linked =
                heads_[i.fl][i.sl] == b || (b->prev != nullptr && b->prev->next == b);
            if (!linked) return fail("free block missing from its list", b);
        } else {
            usedSum += size;
            ++liveBlocks;
        }
        prevFree = b->isFree();
        prevSize = size;
        b = b->at(size);
    }
    size_t listed = 0;
    for (unsigned fl = 0; fl < kFlCount; ++fl) {
        if (((flBitmap_ >> fl) & 1) != (slBitmap_[fl] != 0)) return fail("fl bitmap", this);
        for (unsigned sl = 0; sl < tlsf::kSlCount; ++sl) {
            bool bit = (slBitmap_[fl] >> sl) & 1;
            if (bit != (heads_[fl][sl] != nullptr)) return fail("sl bitmap", &heads_[fl][sl]);
            const Block* pv = nullptr;
            for (const Block* f = heads_[fl][sl]; f; f = f->next) {
                Index i = mappingInsert(f->size());
                if (!f->isFree() || i.fl != fl || i.sl != sl || f->prev != pv) {
                    return fail("bad list entry", f);
                }
                pv = f;
                if (++listed > freeBlocks) return fail("list longer than free blocks", f);
            }
        }
    }
    if (listed != freeBlocks) return fail("free blocks not all listed", this);
    if (c_.freeFragments != freeBlocks) return fail("freeFragments counter", this);
    if (c_.realUsed != usedSum + c_.fixedOverhead) return fail("realUsed counter", this);
    if (c_.allocCount - c_.freeCount != liveBlocks) return fail("alloc/free counters", this);
    return true;
}

} // namespace osprey::mem
