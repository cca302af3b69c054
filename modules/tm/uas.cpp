// The server side of a transaction (RFC 3261 §17.2): creation with retransmission matching
// done atomically under the bucket lock (so an original and its retransmission reaching two
// workers at once make one transaction), replies upstream with the last one kept for
// retransmissions, timers G/H for negative replies to INVITE, and deletion.
#include <cstdio>
#include <cstring>

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/builder_output.h"
#include "core/sip/msg.h"
#include "core/sip/reply.h"
#include "core/sip/via.h"
#include "modules/tm/budget.h"
#include "modules/tm/match.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

Table* g_table = nullptr;

namespace {

net::Destination replyDestination(const net::RecvInfo& recv, const sip::ViaBody* via,
                                  bool forceRport) {
    net::Destination d;
    d.proto = recv.proto;
    d.addr = recv.src;
    d.socket = recv.socket;
    d.connId = recv.connId;
    if (d.proto == net::Proto::Udp && via != nullptr) {
        if (!forceRport && !via->hasRport) d.addr.setPort(via->hasPort ? via->port : 5060);
    }
    return d;
}

// A final reply is decided and every branch is final: what can still go upstream for this
// transaction is a copy of that reply (the stored one resent for a retransmitted request or
// by timer G, the callee's retransmission of the same 2xx relayed again), or a 2xx for a
// branch that had ended (a callee answering after its timeout), which stands for a dialog of
// its own (RFC 3261 §13.2.2.4). Either may overtake this reply without changing anything for
// the caller. A branch still pending could send a provisional or a first 2xx: then the order
// is kept.
bool onlyCopiesFollow(const Cell* c) {
    for (unsigned i = 0; i < c->nBranches; ++i) {
        if (!c->branches[i]->final) return false;
    }
    return true;
}

void sendFlat(const net::Destination& d, std::string_view flat) {
    iovec iov{const_cast<char*>(flat.data()), flat.size()};
    net::send(d, &iov, 1);
}

// Past the shm budget (budget.h): the request is answered here, statelessly, 503 with
// Retry-After (RFC 3261 §21.5.4), so sl_reply_error after the failed t_relay sends nothing
// more; counted, and logged at most once a second.
void refuseOverBudget(route::MsgContext& mc, Admit why) {
    stats::inc(counters().budgetRefused);
    static net::LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        const BudgetState* b = budget();
        const bool count = why == Admit::OverCount;
        LM_WARN(
            "tm: transaction budget reached (%s = %ld): %ld transactions hold %ld bytes; %.*s "
            "from %s answered 503 (%lu more not logged)",
            count ? "max_transactions" : "max_shm_percent, bytes",
            static_cast<long>(count ? b->limits.maxCount : b->limits.maxBytes),
            static_cast<long>(b->count.load(std::memory_order_relaxed)),
            static_cast<long>(b->bytes.load(std::memory_order_relaxed)),
            static_cast<int>(mc.msg.start.methodText.size()), mc.msg.start.methodText.data(),
            net::toString(mc.recv.src).c_str(), static_cast<unsigned long>(skipped));
    }
    mc.setError(503, "Service Unavailable");
    char retryAfter[40] = "";
    if (g_params.budgetRetryAfter > 0)
        std::snprintf(retryAfter, sizeof retryAfter, "Retry-After: %d\r\n",
                      g_params.budgetRetryAfter);
    route::sendReply(mc, 503, "Service Unavailable", retryAfter);
}

bool reliable(net::Proto p) {
    return p != net::Proto::Udp;
}

// How long a transaction whose final reply went upstream (a 2xx to an INVITE, any final to
// another request) stays to absorb retransmissions: wt_timer (Kamailio's one value for RFC
// 3261's Timer J, 64*T1, and Timer K, T4, of unreliable transports). Both timers are 0 over
// reliable transports (§17.2.2, §17.1.2.2): a non-INVITE that came over TCP/TLS and whose
// branches all went over TCP/TLS and have their final replies expects no retransmission from
// either side, so it goes at the next tick instead of holding its memory wt_timer long. An
// INVITE answered 2xx keeps wt_timer whatever the transport: the end-to-end ACK is matched
// against it (t_check_trans), and a pending branch may still send a 2xx to relay.
uint32_t waitAfterFinal(const Cell* c) {
    const uint32_t wt = static_cast<uint32_t>(param(&Params::wtTimer));
    if (c->isInvite() || !reliable(c->replyDest.proto)) return wt;
    for (unsigned i = 0; i < c->nBranches; ++i) {
        const Branch* b = c->branches[i];
        if (b != nullptr && (!b->final || !reliable(b->dest.proto))) return wt;
    }
    return 0;
}

}  // namespace

MsgState* msgState(route::MsgContext& mc, bool create) {
    MsgState* st = mc.extData<MsgState>(kMsgExtension);
    if (st != nullptr || !create) return st;
    void* p = mc.msg.arena.alloc(sizeof(MsgState));
    if (p == nullptr) return nullptr;
    st = new (p) MsgState();
    return mc.setExtData(kMsgExtension, st) ? st : nullptr;
}

void armTimer(Cell* c, timer::TimerNode& n, uint32_t ms, timer::TimerHandler h) {
    if (c->has(kDeleted)) return;
    ref(c);
    if (wheel().arm(n, ms, h)) unref(c);  // it moved: it keeps the one reference it had
}

void disarmTimer(Cell* c, timer::TimerNode& n) {
    if (wheel().disarm(n)) unref(c);
}

uint32_t frTimeout(const Cell* c) {
    return c->frTimeout != 0 ? c->frTimeout : static_cast<uint32_t>(param(&Params::frTimer));
}

uint32_t frInvTimeout(const Cell* c) {
    return c->frInvTimeout != 0 ? c->frInvTimeout
                                : static_cast<uint32_t>(param(&Params::frInvTimer));
}

int newTransaction(route::MsgContext& mc, Cell** out, bool callerSendsTrying) {
    MsgState* st = msgState(mc, true);
    if (st == nullptr) {
        mc.setError(500, "Server Internal Error");
        return -1;
    }
    if (st->cell != nullptr) {
        *out = st->cell;
        return 1;
    }
    RequestKey key;
    if (mc.msg.method() == sip::Method::Ack || !requestKey(mc.msg, &key)) {
        mc.setError(400, "Bad Request");
        return -1;
    }
    const uint32_t bucket = g_table->bucketOf(key.callId, key.cseq);
    Cell* c = nullptr;
    {
        BucketGuard g = g_table->lock(bucket);
        MatchKind how;
        if (Cell* found = matchRequest(g_table->bucket(bucket), key, &how)) {
            ref(found);
            g.unlock();
            absorbRetransmission(found);
            unref(found);
            return 0;
        }
        if (const Admit a = admitNew(); a != Admit::Ok) [[unlikely]] {
            g.unlock();
            refuseOverBudget(mc, a);
            return -1;
        }
        c = newCell(mc.msg, mc.recv, &mc);
        if (c == nullptr) {
            mc.setError(500, "No shared memory");
            return -1;
        }
        c->bucket = bucket;
        c->replyDest = replyDestination(mc.recv, mc.msg.topVia, mc.forceRport);
        c->replyDest.noConnect = mc.replyNoConnect;
        c->frTimeout = st->fr;
        c->frInvTimeout = st->frInv;
        c->onFailure = st->onFailure;
        c->onBranch = st->onBranch;
        c->onReply = st->onReply;
        c->msgFlags = mc.lua.flags;
        ref(c);  // the table's
        g_table->link(c);
    }
    st->cell = c;  // takes newCell's reference
    *out = c;
    CellLock lk(c);
    // A transaction the script never answers still ends (max_inv/noninv_lifetime); a final
    // reply moves this timer to the wait state's length.
    armTimer(c, c->wait,
             static_cast<uint32_t>(c->isInvite() ? param(&Params::maxInvLifetime)
                                                 : param(&Params::maxNoninvLifetime)),
             onWait);
    if (!callerSendsTrying) sendTrying(c, mc.msg);
    return 1;
}

void absorbRetransmission(Cell* c) {
    stats::inc(counters().retransmissions);
    CellLock lk(c);
    if (c->uasReply != nullptr && !c->has(kDeleted)) {
        sendFlat(c->replyDest, std::string_view(c->uasReply, c->uasReplyLen));
    }
}

bool sendLocalReply(Cell* c, sip::SipMsg* req, int status, std::string_view reason) {
    sip::SipMsg parsed;
    if (req == nullptr) {
        if (!sip::parseMsg(parsed, c->request())) return false;
        req = &parsed;
    }
    char ip[net::kIpTextMax];
    sip::ReplyOptions opt;
    opt.srcIp = std::string_view(ip, net::formatIp(c->recv.src, ip, sizeof ip));
    opt.srcPort = c->recv.src.port();
    sip::OutSpans out;
    if (status < 100 || status > 699 ||
        sip::buildReply(*req, static_cast<uint16_t>(status), reason, opt, out) !=
            sip::BuildError::Ok) {
        return false;
    }
    const std::string_view flat = sip::flattenSpans(out, req->arena);
    // Spans in a request parsed here die with this frame: no deferred send for them.
    // Nor for the request of a failure route, whose context is reset when the route ends.
    return sendUpstream(c, out, flat, status, true, req != &parsed && failureCell() == nullptr);
}

bool sendUpstream(Cell* c, const sip::OutSpans& spans, std::string_view flat, int status,
                  bool local, bool deferred) {
    const bool wasFinal = c->has(kUasFinal);
    // After a final reply only further 2xx go on (RFC 3261 §16.7 step 5). This is decided
    // under the cell lock, and what it lets go leaves before the lock is released
    // (noteUpstreamQueued), so the order on the wire is the order decided here.
    if (wasFinal && (status < 200 || status >= 300)) return false;
    bool sent;
    if (deferred) {
        sent = net::sendDeferred(c->replyDest, spans.iov, spans.count);
        // A final reply after which only copies of itself can go upstream may wait for the
        // end of the batch (onlyCopiesFollow); everything else leaves before the unlock. (Sent
        // at once when no batch is open: then the flush finds nothing to send.)
        if (status < 200 || !onlyCopiesFollow(c)) noteUpstreamQueued();
    } else {
        flushUpstream();  // what this process queued upstream before goes first
        sent = net::send(c->replyDest, spans.iov, spans.count);
    }
    if (!wasFinal) {
        // Kept for retransmitted requests (a provisional replaces an earlier one).
        storeCopy(&c->uasReply, &c->uasReplyLen, flat);
        __atomic_store_n(&c->uasStatus, static_cast<uint16_t>(status), __ATOMIC_RELEASE);
    }
    if (sent) stats::inc(local ? counters().rplGenerated : counters().rplRelayed);
    if (status < 200 || wasFinal) return sent;

    c->flags |= kUasFinal;
    releaseTxData(c);  // no failure route can run any more
    stats::inc(counters().replied[status / 100]);
    notifyFinalReply(c, flat, status);
    cancelBranches(c, -1);  // a final answer ends every pending branch (RFC 3261 §16.7 s. 10)
    releaseAfterFinal(c);
    if (c->isInvite() && status >= 300) {
        if (c->replyDest.proto == net::Proto::Udp) {
            c->uasRetrInterval = static_cast<uint32_t>(param(&Params::t1));
            armTimer(c, c->uasRetr, c->uasRetrInterval, onUasRetr);  // G
        }
        armTimer(c, c->wait, 64 * static_cast<uint32_t>(param(&Params::t1)), onWait);  // H
    } else {
        armTimer(c, c->wait, waitAfterFinal(c), onWait);
    }
    return sent;
}

namespace {
// Registered in init, before fork; read-only afterwards.
constexpr unsigned kMaxFinalReplyHooks = 4;
FinalReplyFn g_finalReplyHooks[kMaxFinalReplyHooks] = {};
unsigned g_finalReplyHookCount = 0;
}  // namespace

bool addFinalReplyHook(FinalReplyFn fn) {
    if (fn == nullptr || g_finalReplyHookCount == kMaxFinalReplyHooks) return false;
    g_finalReplyHooks[g_finalReplyHookCount++] = fn;
    return true;
}

void notifyFinalReply(Cell* c, std::string_view reply, int status) {
    if (g_finalReplyHookCount == 0) return;
    FinalReply r;
    r.request = c->request();
    r.reply = reply;
    r.recv = &c->recv;
    r.status = status;
    r.flags = c->msgFlags;
    for (unsigned i = 0; i < g_finalReplyHookCount; ++i) g_finalReplyHooks[i](r);
}

void ackReceived(Cell* c) {
    if (c->has(kAckSeen) || c->has(kDeleted)) return;
    c->flags |= kAckSeen;
    disarmTimer(c, c->uasRetr);
    // Timer I: stay a while to absorb ACK retransmissions; none come over a reliable
    // transport (RFC 3261 §17.2.1: 0 there).
    armTimer(c, c->wait,
             reliable(c->replyDest.proto) ? 0 : static_cast<uint32_t>(param(&Params::t4)), onWait);
}

void deleteCell(Cell* c) {
    {
        CellLock lk(c);
        if (c->has(kDeleted)) return;
        c->flags |= kDeleted;
        disarmTimer(c, c->wait);
        disarmTimer(c, c->uasRetr);
        for (unsigned i = 0; i < c->nBranches; ++i) {
            disarmTimer(c, c->branches[i]->retr);
            disarmTimer(c, c->branches[i]->fr);
            disarmTimer(c, c->branches[i]->cancelTimer);
        }
    }
    bool wasLinked;
    {
        BucketGuard g = g_table->lock(c->bucket);
        wasLinked = c->linked;
        g_table->unlink(c);
    }
    if (wasLinked) unref(c);
}

}  // namespace osprey::tm
