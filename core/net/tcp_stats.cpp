// TcpStats: one shm block, and the snapshot a statistics layer reads.
#include "core/net/tcp_stats.h"

#include <new>

#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_wq_budget.h"
#include "mem/shm.h"

namespace osprey::net {

namespace {
TcpStats* g_stats = nullptr;
}

bool createTcpStats() {
    if (g_stats != nullptr) return true;
    void* p = mem::shmAllocZero(sizeof(TcpStats));
    if (p == nullptr) return false;
    g_stats = new (p) TcpStats;
    for (auto& w : g_stats->partialBytes) w.store(0, std::memory_order_relaxed);
    return true;
}

void destroyTcpStats() {
    mem::shmFree(g_stats);
    g_stats = nullptr;
}

TcpStats* tcpStats() {
    return g_stats;
}

size_t readTcpStats(TcpStatValue* out, size_t n) {
    const TcpStats* s = g_stats;
    if (s == nullptr) return 0;
    const TcpConnTable* t = TcpConnTable::get();
    const WqBudget* b = WqBudget::get();
    const auto get = [](const std::atomic<uint64_t>& a) {
        return a.load(std::memory_order_relaxed);
    };
    uint64_t partial = 0;
    for (const auto& w : s->partialBytes) partial += get(w);
    const TcpStatValue all[kTcpStatCount] = {
        {"current_opened_connections", t != nullptr ? t->used() : 0},
        {"current_write_queue_size", b != nullptr ? b->used() : 0},
        {"established", get(s->established)},
        {"passive_open", get(s->passiveOpen)},
        {"connect_success", get(s->connectSuccess)},
        {"connect_failed", get(s->connectFailed)},
        {"local_reject", get(s->localReject)},
        {"con_reset", get(s->conReset)},
        {"con_timeout", get(s->conTimeout)},
        {"send_timeout", get(s->sendTimeout)},
        {"sendq_full", get(s->sendqFull)},
        {"wq_budget_cut", get(s->wqCut)},
        {"wq_ip_budget_cut", get(s->wqIpCut)},
        {"wq_budget_refused", get(s->wqRefused)},
        {"partial_budget_cut", get(s->partialCut)},
        {"partial_bytes", partial},
    };
    size_t k = 0;
    for (; k < n && k < kTcpStatCount; ++k) out[k] = all[k];
    return k;
}

}  // namespace osprey::net
