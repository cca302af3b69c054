// Batch moves of the per-process shm cache; see shm_cache.h.
#include "mem/shm_cache.h"

namespace osprey::mem::shmcache {

void ProcessCache::attach(SlotCounters* slot, size_t capBytes) {
    forget();
    slot_ = slot;
    cap_ = capBytes;
    handedOut_ = slot->handedOut.load(std::memory_order_relaxed);
    takenBack_ = slot->takenBack.load(std::memory_order_relaxed);
    fromHeap_ = slot->fromHeap.load(std::memory_order_relaxed);
    toHeap_ = slot->toHeap.load(std::memory_order_relaxed);
    // Blocks a dead earlier user of the slot still had cached are lost to everyone: stop
    // counting them as free.
    publish();
}

void ProcessCache::forget() {
    for (List& l : lists_) l = List{};
    slot_ = nullptr;
    bytes_ = 0;
    blocks_ = 0;
}

unsigned ProcessCache::take(unsigned c, unsigned max, void** out) {
    List& l = lists_[c];
    unsigned n = 0;
    while (n < max && l.head) {
        Link* b = l.head;
        l.head = b->next;
        b->tag = 0;
        out[n++] = b;
    }
    l.count -= n;
    blocks_ -= n;
    bytes_ -= n * classSize(c);
    toHeap_ += n;
    slot_->toHeap.store(toHeap_, std::memory_order_relaxed);
    publish();
    return n;
}

void ProcessCache::addFromHeap(unsigned c, void* const* blocks, unsigned n) {
    for (unsigned i = 0; i < n; ++i) link(c, static_cast<Link*>(blocks[i]));
    publish();
}

void ProcessCache::countFromHeap(unsigned n) {
    fromHeap_ += n;
    slot_->fromHeap.store(fromHeap_, std::memory_order_relaxed);
}

} // namespace osprey::mem::shmcache
