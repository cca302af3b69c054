// Nonce replay state: lock-free rings in shm.
#include "modules/auth/nonce_state.h"

#include <new>

namespace osprey::auth {

namespace {

constexpr uint8_t kMaxNc = 255;  // one octet per nonce, as Kamailio: beyond this, re-challenge

uint32_t ringSize(unsigned order) {
    return order == 0 ? 0 : uint32_t{1} << order;
}
uint32_t ncBytesFor(unsigned order) {
    return (ringSize(order) + 7) & ~uint32_t{7};
}
uint32_t otnBitsFor(unsigned order) {
    const uint32_t n = ringSize(order);
    return n == 0 ? 0 : (n < 64 ? 64 : n);
}

}  // namespace

size_t NonceState::bytesNeeded(unsigned ncOrder, unsigned otnOrder) {
    return sizeof(NonceState) + ncBytesFor(ncOrder) + otnBitsFor(otnOrder) / 8;
}

NonceState* NonceState::create(void* mem, unsigned ncOrder, unsigned otnOrder, uint32_t firstNid) {
    auto* s = new (mem) NonceState();
    s->ncSize_ = ringSize(ncOrder);
    s->otnSize_ = otnBitsFor(otnOrder);
    s->ncBytes_ = ncBytesFor(ncOrder);
    s->next_.store(firstNid, std::memory_order_relaxed);
    return s;
}

uint32_t NonceState::newNid() {
    const uint32_t nid = next_.fetch_add(1, std::memory_order_relaxed);
    if (ncSize_ != 0)
        std::atomic_ref<uint8_t>(nc()[nid & (ncSize_ - 1)]).store(0, std::memory_order_relaxed);
    if (otnSize_ != 0) {
        const uint32_t bit = nid & (otnSize_ - 1);
        std::atomic_ref<uint64_t>(otn()[bit / 64])
            .fetch_and(~(uint64_t{1} << (bit % 64)), std::memory_order_relaxed);
    }
    return nid;
}

// A slot belongs to nid while fewer than `size` newer ids were handed out; an id at or past
// the counter was never issued in this run (a nonce of a previous run with the same secret).
bool NonceState::gone(uint32_t nid, uint32_t size) const {
    const uint32_t distance = next_.load(std::memory_order_relaxed) - nid;
    return distance == 0 || distance > size;
}

Replay NonceState::acceptNc(uint32_t nid, uint32_t nc_) {
    if (ncSize_ == 0) return Replay::Ok;
    if (gone(nid, ncSize_) || nc_ > kMaxNc) return Replay::Stale;
    if (nc_ == 0) return Replay::Reused;
    std::atomic_ref<uint8_t> slot(nc()[nid & (ncSize_ - 1)]);
    uint8_t seen = slot.load(std::memory_order_relaxed);
    do {
        if (nc_ <= seen) return Replay::Reused;
    } while (
        !slot.compare_exchange_weak(seen, static_cast<uint8_t>(nc_), std::memory_order_relaxed));
    // The slot may have been handed to a newer nonce between the age check and the swap.
    return gone(nid, ncSize_) ? Replay::Stale : Replay::Ok;
}

void NonceState::spendNc(uint32_t nid) {
    if (ncSize_ == 0 || gone(nid, ncSize_)) return;
    std::atomic_ref<uint8_t>(nc()[nid & (ncSize_ - 1)]).store(kMaxNc, std::memory_order_relaxed);
}

Replay NonceState::acceptOnce(uint32_t nid) {
    if (otnSize_ == 0) return Replay::Ok;
    if (gone(nid, otnSize_)) return Replay::Stale;
    const uint32_t bit = nid & (otnSize_ - 1);
    const uint64_t mask = uint64_t{1} << (bit % 64);
    const uint64_t before =
        std::atomic_ref<uint64_t>(otn()[bit / 64]).fetch_or(mask, std::memory_order_relaxed);
    if (before & mask) return Replay::Reused;
    return gone(nid, otnSize_) ? Replay::Stale : Replay::Ok;
}

}  // namespace osprey::auth
