// The shm budget of every TCP write queue together (tcp_wq_max) and of the queues to one peer
// IP (tcp_wq_max_per_ip), on top of each connection's own cap (tcp_conn_wq_max). Queue chunks
// come from the shared segment that also holds transactions and registrations; without a sum
// cap, peers that stop reading could fill it (4096 connections x 256 KiB is 1 GiB) and make
// every stateful request fail.
//
// Counted in shm atomics: a sender takes the chunk's size before queuing it (take), the owner
// gives back what it wrote out or dropped (give). take never lets the count pass a limit: it
// adds, checks, and undoes when over. Per-IP counts live in a fixed array indexed by a hash
// of the address; two addresses that share a slot share a budget (only ever stricter), and
// a cut for it may hit either.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace osprey::net {

class WqBudget {
public:
    enum class Take : uint8_t { Ok, OverTotal, OverIp };

    // Master, before fork (in shm); ipSlots is rounded up to a power of two.
    static bool create(size_t total, size_t perIp, uint32_t ipSlots);
    static void destroy();
    // The budget of this run; nullptr when there is none (no TCP transport).
    static WqBudget* get();

    // Takes n bytes for a queue to a peer whose address hashes to ipHash.
    Take take(uint32_t ipHash, size_t n);
    void give(uint32_t ipHash, size_t n);

    size_t used() const { return used_.load(std::memory_order_relaxed); }
    size_t usedByIp(uint32_t ipHash) const {
        return perIpUsed_[ipHash & mask_].load(std::memory_order_relaxed);
    }
    // Whether two peers share a per-IP count (the same address, or a hash collision).
    bool sameIpSlot(uint32_t ipHashA, uint32_t ipHashB) const {
        return ((ipHashA ^ ipHashB) & mask_) == 0;
    }
    size_t total() const { return total_; }
    size_t perIp() const { return perIp_; }

private:
    WqBudget() = default;

    size_t total_ = 0;
    size_t perIp_ = 0;
    uint32_t mask_ = 0;
    std::atomic<size_t> used_{0};
    std::atomic<size_t>* perIpUsed_ = nullptr;  // in shm, mask_ + 1 slots
};

// Gives back n bytes of a queue when there is a budget (the queue's owner after writing, the
// table when a connection is released).
inline void giveQueueBytes(uint32_t ipHash, size_t n) {
    if (n == 0) return;
    if (WqBudget* b = WqBudget::get()) b->give(ipHash, n);
}

}  // namespace osprey::net
