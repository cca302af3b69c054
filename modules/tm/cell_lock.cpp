// The transaction lock (tm_core.h): re-entrant per process through the lock's own holder id,
// what the next taker does when the holder died inside it, and the rule that keeps replies
// upstream in the order tm decided them: what this process queued upstream under the lock
// leaves before the lock is released (docs/tm-reply-order.md).
#include "core/log/log.h"
#include "core/net/send.h"
#include "mem/lock/test_die.h"
#include "mem/lock/thread_id.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

// The dead holder was somewhere in the middle of changing this transaction: a branch half
// added, a reply half stored, timers half moved. None of that is trusted to route on, so the
// transaction is ended the way tm ends any transaction: a 500 upstream when no final reply
// went yet (which also CANCELs the branches still pending, RFC 3261 §16.7 step 10, and starts
// its wait or H timer), and the wait timer (re)armed in any case so it is deleted and freed
// like any other. The request copy it is built from never changes after creation, so the 500
// does not depend on what the dead holder left. Late replies of its branches find it final.
void recoverCell(Cell* c, uint32_t deadPid) {
    const bool wasFinal = c->has(kUasFinal) || c->has(kDeleted);
    c->flags |= kDamaged;
    if (!wasFinal && !sendLocalReply(c, nullptr, 500, "Server Internal Error"))
        c->flags |= kUasFinal;  // no reply could be built: still, nothing more is sent upstream
    armTimer(c, c->wait, static_cast<uint32_t>(param(&Params::wtTimer)), onWait);
    const std::string_view callId = c->piece(c->callId);
    LM_WARN("tm: recovered transaction %p (Call-ID %.*s) from dead process %u: ended%s", c,
            static_cast<int>(callId.size()), callId.data(), deadPid,
            wasFinal ? "" : " with 500 upstream");
}

}  // namespace

CellLock::CellLock(Cell* c) : cell_(c), owned_(!c->lock.heldByCaller()) {
    if (!owned_) return;
    if (c->lock.lock() == mem::LockStatus::OwnerDied) [[unlikely]]
        recoverCell(c, mem::lastDeadOwner());
    mem::testDiePoint(mem::DieSite::TmCell);
}

CellLock::~CellLock() {
    if (!owned_) return;
    // Before the next holder can decide on a later reply of this transaction: otherwise a 180
    // queued here and a 200 another worker relays and flushes at once would leave in the
    // wrong order (RFC 3261 §16.7 step 5: no provisional after the final).
    flushUpstream();
    cell_->lock.unlock();
}

// A reply upstream is in this process's send batch (net/send.h) and not flushed yet.
bool g_upstreamQueued = false;

void flushUpstreamNow() {
    g_upstreamQueued = false;
    net::flushBatch();
}

bool lockedHere(const Cell* c) {
    return c->lock.heldByCaller();
}

}  // namespace osprey::tm
