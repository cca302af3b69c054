// TlsIpLimits: two counters per address hash.
#include "core/net/tls_ip_limits.h"

#include <new>

#include "mem/shm.h"

namespace osprey::net {

namespace {
TlsIpLimits* g_limits = nullptr;

void decrement(std::atomic<uint32_t>& a) {
    uint32_t v = a.load(std::memory_order_relaxed);
    while (v != 0 && !a.compare_exchange_weak(v, v - 1, std::memory_order_relaxed)) {
    }
}
}  // namespace

bool TlsIpLimits::create(uint32_t slots, unsigned maxPending, unsigned maxConnections) {
    void* self = mem::shmAllocZero(sizeof(TlsIpLimits));
    void* table = mem::shmAllocZero(sizeof(Slot) * slots);
    if (self == nullptr || table == nullptr) {
        mem::shmFree(self);
        mem::shmFree(table);
        return false;
    }
    auto* l = new (self) TlsIpLimits;
    l->slots_ = slots;
    l->maxPending_ = maxPending;
    l->maxConnections_ = maxConnections;
    l->table_ = static_cast<Slot*>(table);
    for (uint32_t i = 0; i < slots; ++i) new (&l->table_[i]) Slot;
    g_limits = l;
    return true;
}

void TlsIpLimits::destroy() {
    if (g_limits == nullptr) return;
    mem::shmFree(g_limits->table_);
    mem::shmFree(g_limits);
    g_limits = nullptr;
}

TlsIpLimits* TlsIpLimits::get() {
    return g_limits;
}

TlsIpLimits::Take TlsIpLimits::take(uint32_t ipHash) {
    Slot& s = table_[ipHash % slots_];
    // Only tcp-main takes places, so the check and the increment do not race with another
    // taker; the owners only give back.
    if (s.connections.load(std::memory_order_relaxed) >= maxConnections_)
        return Take::TooManyConnections;
    if (s.pending.load(std::memory_order_relaxed) >= maxPending_) return Take::TooManyPending;
    s.connections.fetch_add(1, std::memory_order_relaxed);
    s.pending.fetch_add(1, std::memory_order_relaxed);
    return Take::Ok;
}

void TlsIpLimits::handshakeEnded(uint32_t ipHash) {
    decrement(table_[ipHash % slots_].pending);
}

void TlsIpLimits::closed(uint32_t ipHash) {
    decrement(table_[ipHash % slots_].connections);
}

}  // namespace osprey::net
