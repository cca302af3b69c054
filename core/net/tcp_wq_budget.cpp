// WqBudget: the counters and the take/give arithmetic.
#include "core/net/tcp_wq_budget.h"

#include <new>

#include "mem/shm.h"

namespace osprey::net {

namespace {
WqBudget* g_budget = nullptr;
}

bool WqBudget::create(size_t total, size_t perIp, uint32_t ipSlots) {
    if (g_budget != nullptr) return true;
    uint32_t slots = 1;
    while (slots < ipSlots && slots < (1u << 24)) slots <<= 1;
    void* b = mem::shmAllocZero(sizeof(WqBudget));
    void* counts = mem::shmAllocZero(sizeof(std::atomic<size_t>) * slots);
    if (b == nullptr || counts == nullptr) {
        mem::shmFree(b);
        mem::shmFree(counts);
        return false;
    }
    auto* budget = new (b) WqBudget;
    budget->total_ = total;
    budget->perIp_ = perIp;
    budget->mask_ = slots - 1;
    budget->perIpUsed_ = static_cast<std::atomic<size_t>*>(counts);
    for (uint32_t i = 0; i < slots; ++i) new (&budget->perIpUsed_[i]) std::atomic<size_t>(0);
    g_budget = budget;
    return true;
}

void WqBudget::destroy() {
    if (g_budget == nullptr) return;
    mem::shmFree(g_budget->perIpUsed_);
    mem::shmFree(g_budget);
    g_budget = nullptr;
}

WqBudget* WqBudget::get() {
    return g_budget;
}

WqBudget::Take WqBudget::take(uint32_t ipHash, size_t n) {
    std::atomic<size_t>& ip = perIpUsed_[ipHash & mask_];
    if (ip.fetch_add(n, std::memory_order_relaxed) + n > perIp_) {
        ip.fetch_sub(n, std::memory_order_relaxed);
        return Take::OverIp;
    }
    if (used_.fetch_add(n, std::memory_order_relaxed) + n > total_) {
        used_.fetch_sub(n, std::memory_order_relaxed);
        ip.fetch_sub(n, std::memory_order_relaxed);
        return Take::OverTotal;
    }
    return Take::Ok;
}

void WqBudget::give(uint32_t ipHash, size_t n) {
    used_.fetch_sub(n, std::memory_order_relaxed);
    perIpUsed_[ipHash & mask_].fetch_sub(n, std::memory_order_relaxed);
}

}  // namespace osprey::net
