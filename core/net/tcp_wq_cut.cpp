// takeQueueRoom: the budget check and, when it fails, the scan for the stalled queue to cut.
#include "core/net/tcp_wq_cut.h"

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/net/tcp_channel.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_stats.h"
#include "core/net/tcp_wq_budget.h"

namespace osprey::net {

namespace {

// Each cut frees at least one chunk; a few are enough for any one message unless the budget
// is smaller than the message, which no amount of cutting fixes.
constexpr int kMaxCuts = 8;

struct Candidate {
    TcpConn* conn = nullptr;
    ConnId id = 0;
    int64_t since = 0;
    size_t charged = 0;
};

// Called with c locked: is c a better victim than *best? For the per-IP budget only the
// connections counted in self's per-IP slot are candidates.
void consider(TcpConn& c, const TcpConn& self, const WqBudget* ipSlotOf, Candidate* best) {
    // Only a queue its owner found the socket full for, or one waiting for the peer to finish
    // the handshake: one that merely waits for a busy owner (a reply queued by another process
    // a moment ago) belongs to a peer that may be reading.
    if (c.state == ConnState::Free || c.queue.charged == 0) return;
    if (!c.queue.blocked && c.state != ConnState::Connecting) return;
    if (ipSlotOf != nullptr && !ipSlotOf->sameIpSlot(c.ipHash, self.ipHash)) return;
    const int64_t since = c.queue.stalledSinceMs;
    if (best->conn != nullptr &&
        (since > best->since || (since == best->since && c.queue.charged <= best->charged)))
        return;
    *best = Candidate{&c, c.id.load(std::memory_order_relaxed), since, c.queue.charged};
}

// Frees c's queue and asks its owner to close it; c is locked by the caller.
void cut(TcpConn& c) {
    giveQueueBytes(c.ipHash, c.queue.charged);
    c.queue.clear();
    c.closeRequested.store(1, std::memory_order_relaxed);
}

void logCut(ConnId id, const SockAddr& peer, const char* budget) {
    static LogLimit limit;
    uint64_t skipped = 0;
    if (!limit.allow(&skipped)) return;
    LM_NOTICE(
        "cutting TCP connection %llu with %s: its write queue waited longest without progress "
        "and %s is full (%lu more not logged)",
        static_cast<unsigned long long>(id), toString(peer).c_str(), budget,
        static_cast<unsigned long>(skipped));
}

enum class Cut : uint8_t { None, Self, Other, Busy };

// Cuts the stalled queue that holds the budget longest: self or another connection; None
// when no connection has a queue to cut; Busy when the chosen one was locked just then.
Cut cutOne(TcpConnTable& t, TcpConn& self, bool sameIpOnly) {
    const WqBudget* ipSlotOf = sameIpOnly ? WqBudget::get() : nullptr;
    Candidate best;
    for (uint32_t i = 0; i < t.capacity(); ++i) {
        TcpConn* c = t.slot(i);
        if (c == &self) {
            consider(*c, self, ipSlotOf, &best);
            continue;
        }
        if (!c->lock.tryLock()) continue;
        consider(*c, self, ipSlotOf, &best);
        c->lock.unlock();
    }
    const char* budget = sameIpOnly ? "tcp_wq_max_per_ip" : "tcp_wq_max";
    if (best.conn == nullptr) return Cut::None;
    if (best.conn == &self) {
        cut(self);  // logged by the sender, after it unlocks
        return Cut::Self;
    }
    TcpConn& v = *best.conn;
    if (!v.lock.tryLock()) return Cut::Busy;
    const bool same = v.id.load(std::memory_order_relaxed) == best.id && v.state != ConnState::Free;
    const unsigned owner = v.owner;
    const SockAddr peer = v.peer;
    if (same) cut(v);
    v.lock.unlock();
    if (!same) return Cut::Busy;  // it went away meanwhile, and its queue with it
    wakeConnOwner(v, owner, best.id);
    logCut(best.id, peer, budget);
    return Cut::Other;
}

}  // namespace

QueueRoom takeQueueRoom(TcpConnTable& t, TcpConn& self, size_t n) {
    WqBudget* b = WqBudget::get();
    if (b == nullptr) return QueueRoom::Ok;
    for (int k = 0; k <= kMaxCuts; ++k) {
        const WqBudget::Take r = b->take(self.ipHash, n);
        if (r == WqBudget::Take::Ok) return QueueRoom::Ok;
        if (k == kMaxCuts) break;
        const bool perIp = r == WqBudget::Take::OverIp;
        const Cut c = cutOne(t, self, perIp);
        if (c == Cut::None) break;
        if (c == Cut::Busy) continue;
        countTcp(perIp ? &TcpStats::wqIpCut : &TcpStats::wqCut);
        if (c == Cut::Self) return QueueRoom::SelfCut;
    }
    countTcp(&TcpStats::wqRefused);
    return QueueRoom::NoRoom;
}

void wakeConnOwner(TcpConn& c, unsigned owner, ConnId id) {
    if (c.wakePending.exchange(1, std::memory_order_acq_rel) != 0) return;
    sendTcpCommand(owner, TcpCommand{TcpCmd::Wake, id});
}

}  // namespace osprey::net
