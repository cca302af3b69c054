// What tm's parts share: the table and wheel of this run, the transaction lock as this
// process holds it, the per-message state, and the operations of the server side (uas.cpp),
// the client branches (uac.cpp), received replies (reply.cpp), timers (timers.cpp) and the
// script's routes (routes.cpp).
//
// Locking rules. A bucket lock guards its chain and is held only to look up, link or unlink
// (never while taking a cell lock of a linked cell). A cell's `lock` guards all its mutable
// state; everything that changes a transaction (a worker with a request or reply, a timer
// handler, a failure route) holds it. Timer handlers own the reference of the timer that
// fired, take the cell lock and re-check the state before acting: a timer that fires just as
// a worker settles the same transaction finds the branch final (or the cell deleted) and does
// nothing. A failure route runs with the cell lock held; t_relay/t_reply called from it see
// that this process already holds it: CellLock is re-entrant per process, and what tells is
// the lock itself (its word holds the holder's id, FutexMutex::heldByCaller), so nesting
// locks of different cells is as right as nesting one cell's.
//
// A process that dies holding a lock (docs/locks.md): the next taker of a bucket lock repairs
// the chain (Table::repair); the next taker of a cell lock ends the transaction, which may be
// half-updated (cell_lock.cpp).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/timer/timer_wheel.h"
#include "modules/tm/api.h"
#include "modules/tm/cell.h"
#include "modules/tm/cell_mem.h"
#include "modules/tm/table.h"
#include "modules/tm/tm_params.h"

namespace osprey::route {
struct MsgContext;
struct MsgExtension;
}  // namespace osprey::route
namespace osprey::sip {
struct SipMsg;
struct OutSpans;
}  // namespace osprey::sip

namespace osprey::tm {

extern Table* g_table;
timer::TimerWheel& wheel();

// The transaction lock, re-entrant within this process (failure routes call t_relay); taking
// it over from a dead holder ends the transaction (kDamaged; a 500 upstream if unanswered).
class CellLock {
public:
    explicit CellLock(Cell* c);
    ~CellLock();
    CellLock(const CellLock&) = delete;
    CellLock& operator=(const CellLock&) = delete;

private:
    Cell* cell_;
    bool owned_;
};
bool lockedHere(const Cell* c);
// Replies upstream leave in the order tm decides them (docs/tm-reply-order.md): a reply
// queued in this process's send batch while a cell lock is held (noteUpstreamQueued, by
// sendUpstream) is sent before that lock is released (flushUpstream, by CellLock), and before
// any reply this process sends at once.
extern bool g_upstreamQueued;  // this process's: set by noteUpstreamQueued, cleared by a flush
void flushUpstreamNow();
inline void noteUpstreamQueued() {
    g_upstreamQueued = true;
}
inline void flushUpstream() {
    if (g_upstreamQueued) [[unlikely]]
        flushUpstreamNow();
}

// tm's state of one message (its data in route::MsgContext, kMsgExtension), in the message's
// arena.
struct MsgState {
    Cell* cell = nullptr;  // a reference is held while set
    uint32_t frInv = 0;    // t_set_fr before the transaction exists
    uint32_t fr = 0;
    uint8_t onFailure = 0;
    uint8_t onBranch = 0;
    uint8_t onReply = 0;
    bool precheckClaimed = false;
    uint64_t precheckKey = 0;
};
MsgState* msgState(route::MsgContext& mc, bool create);
void releaseMsgState(route::MsgContext& mc, void* data);  // MsgContext::reset's hook
// What tm plugs into every message (core/route/msg_extension.h): its per-message state and
// the reply handler (onReply).
extern const route::MsgExtension kMsgExtension;

// Timers: an armed timer holds a reference on its cell. Cell lock held.
void armTimer(Cell* c, timer::TimerNode& n, uint32_t ms, timer::TimerHandler h);
void disarmTimer(Cell* c, timer::TimerNode& n);
uint32_t frTimeout(const Cell* c);
uint32_t frInvTimeout(const Cell* c);

// --- server side (uas.cpp) ---
// Creates the transaction of mc's request, or finds the one it retransmits. 1: created (*out
// set, the message state holds a reference); 0: a retransmission, absorbed (last reply
// resent); -1: error (mc's error set for sl_reply_error). callerSendsTrying: the caller calls
// sendTrying under its own hold of the cell lock (t_relay: the 100 Trying and the request
// downstream then leave in one flush of the send batch).
int newTransaction(route::MsgContext& mc, Cell** out, bool callerSendsTrying = false);
// Cell lock taken inside.
void absorbRetransmission(Cell* c);
// Cell lock held. A reply generated here; req is the request parsed (nullptr: parse the copy).
bool sendLocalReply(Cell* c, sip::SipMsg* req, int status, std::string_view reason);
// Cell lock held: 100 Trying upstream for an INVITE with auto_inv_100, unless a reply went.
// req: the INVITE being handled (mc.msg).
inline void sendTrying(Cell* c, sip::SipMsg& req) {
    if (c->isInvite() && g_params.autoInv100 != 0 && c->uasStatus == 0)
        sendLocalReply(c, &req, 100, "Trying");
}
// Cell lock held. Sends a reply upstream (spans for this send, flat for retransmissions) and
// moves the server side on (final: timers G/H or the wait timer).
// `deferred`: the spans stay valid until the worker's send batch is flushed, which happens at
// the latest when the cell lock is released (noteUpstreamQueued).
bool sendUpstream(Cell* c, const sip::OutSpans& spans, std::string_view flat, int status,
                  bool local, bool deferred);
// Cell lock held: tells the modules that registered (api.h, onFinalReply) about c's first
// final reply upstream.
void notifyFinalReply(Cell* c, std::string_view reply, int status);
bool addFinalReplyHook(FinalReplyFn fn);  // api.h
// Cell lock not held. Takes the transaction off the table and stops its timers.
void deleteCell(Cell* c);
// Cell lock held: an ACK for our negative final reply arrived.
void ackReceived(Cell* c);

// --- client side (uac.cpp) ---
// Cell lock held. One branch per destination of mc (R-URI or $du, then the branch set);
// returns how many were sent.
int forwardBranches(Cell* c, route::MsgContext& mc);
// Cell lock held.
void sendCancel(Branch* b);
void resendCancel(Branch* b);  // timer E of our CANCEL
void sendAck(Branch* b, sip::SipMsg& reply);
// CANCELs every branch still pending (but `except`), now or at its first provisional; a
// branch still waiting for DNS ends at once. True when such a branch ended (the caller runs
// branchesDone unless it does anyway).
bool cancelBranches(Cell* c, int except);

// Cell lock held. Sends branch b (dest set) and arms its timers (fr only when armFr: a branch
// that waited for DNS has it armed already). False when the send failed: the branch is then
// final (a local 500).
bool sendBranch(Cell* c, Branch* b, bool deferred, bool armFr);

// --- branches to names (dns_branch.cpp, docs/dns.md) ---
// Cell lock held. A new branch whose next hop is still resolving: the waiter is attached (with
// a reference on the cell) and fr_timer armed; the timer process sends it when the answer
// comes. Returns false when the branch ended at once (mc's error set for sl_reply_error).
bool parkBranch(Cell* c, Branch* b, route::MsgContext* mc);
// Cell lock held. use_dns_failover: a new branch (new Via branch id) to b's next target, sent.
// False when there is none (or failover is off).
bool tryFailover(Cell* c, Branch* b);

// --- replies (reply.cpp) ---
bool onReply(route::MsgContext& mc);  // kMsgExtension.onReply
// Cell lock held: when no branch is pending, the failure route or the best final reply.
void branchesDone(Cell* c);

// --- timers (timers.cpp) ---
void onBranchRetr(timer::TimerNode* n);
void onBranchFr(timer::TimerNode* n);
void onCancelTimer(timer::TimerNode* n);
void onUasRetr(timer::TimerNode* n);
void onWait(timer::TimerNode* n);

// --- script routes (routes.cpp) ---
uint8_t routeId(std::string_view name);  // 0 when the registry is full or name empty
// bflags: the winning branch's flags, branch 0's in the route.
bool runFailureRoute(Cell* c, uint8_t id, int status, uint32_t bflags);
// Runs the branch route for one branch of mc (its R-URI and $du set for it); false when the
// route dropped the branch.
// branchIdx: the branch's index in the transaction ($T_branch_idx).
bool runBranchRoute(uint8_t id, route::MsgContext& mc, int branchIdx);
// Returns false when the onreply route dropped the reply; branchIdx: the branch it came on.
bool runOnReply(Cell* c, uint8_t id, route::MsgContext& reply, int branchIdx);
bool initRouteNames();
// The reply status t_check_status sees inside a failure/onreply route (0 outside).
int routeReplyStatus();
// The transaction a failure route runs for (nullptr outside).
Cell* failureCell();
// The branch a branch or onreply route runs for (-1 outside).
int routeBranchIdx();

// --- pseudo-variables (tm_pv.cpp): $T_branch_idx, $T_reply_code, $T_req(pv), $T_rpl(pv) ---
bool registerPvs();

}  // namespace osprey::tm
