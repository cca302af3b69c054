// Replies from downstream (RFC 3261 §16.7): matched to their branch by our Via branch,
// provisional ones relayed (not 100), the first 2xx relayed at once and the other branches
// CANCELled, every later 2xx relayed too; negative finals are ACKed on their branch and kept
// until every branch is done, then the failure route runs or the best one goes upstream.
// ksr_reply_route has run before (core/route/dispatch.cpp).
#include "core/log/log.h"
#include "core/net/send.h"
#include "core/route/msg_context.h"
#include "core/sip/builder.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/via.h"
#include "mem/shm.h"
#include "modules/tm/match.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

// RFC 3261 §16.7 step 6: 6xx first; otherwise the lowest class; within 4xx the ones a UA can
// act on (401, 407, 415, 420, 484) first; a local timeout last among equals.
int rank(const Branch* b) {
    const int cls = b->status / 100;
    int r = cls == 6 ? 0 : cls * 10;
    if (cls == 4 && (b->status == 401 || b->status == 407 || b->status == 415 || b->status == 420 ||
                     b->status == 484)) {
        r -= 5;
    }
    if (b->localTimeout) r += 1;
    return r;
}

Branch* pickBest(Cell* c) {
    Branch* best = nullptr;
    for (unsigned i = 0; i < c->nBranches; ++i) {
        Branch* b = c->branches[i];
        if (b->status < 300) continue;
        if (best == nullptr || rank(b) < rank(best)) best = b;
    }
    return best;
}

void sendBest(Cell* c) {
    Branch* best = pickBest(c);
    if (c->has(kCanceled) && (best == nullptr || best->localTimeout)) {
        sendLocalReply(c, nullptr, 487, "Request Terminated");
        return;
    }
    if (best == nullptr) {
        sendLocalReply(c, nullptr, 500, "Server Internal Error");
        return;
    }
    if (best->status == 503) {  // §16.7 step 6: a 503 becomes 500 upstream
        sendLocalReply(c, nullptr, 500, "Server Internal Error");
        return;
    }
    if (best->reply == nullptr) {
        sendLocalReply(
            c, nullptr, best->status,
            best->status == 408 ? std::string_view("Request Timeout") : std::string_view());
        return;
    }
    // The stored reply (our Via already removed) moves to the server side.
    char* flat = best->reply;
    const uint32_t len = best->replyLen;
    best->reply = nullptr;
    best->replyLen = 0;
    iovec iov{flat, len};
    sip::OutSpans spans{&iov, 1, len};
    const std::string_view view(flat, len);
    sendUpstream(c, spans, view, best->status, false, false);
    freeCopy(flat, len);
}

// The reply as it goes upstream: our Via removed.
bool buildRelayed(route::MsgContext& mc, sip::OutSpans* out, std::string_view* flat) {
    sip::MsgBuilder& b = mc.builder();
    if (b.popVia() != sip::BuildError::Ok || b.build(*out) != sip::BuildError::Ok) return false;
    *flat = sip::flattenSpans(*out, mc.msg.arena);
    return !flat->empty();
}

void relay(Cell* c, route::MsgContext& mc, int status) {
    sip::OutSpans out;
    std::string_view flat;
    if (buildRelayed(mc, &out, &flat)) sendUpstream(c, out, flat, status, false, true);
}

void remember2xxTag(Cell* c, sip::SipMsg& reply) {
    if (c->toTag2xxLen != 0) return;
    const sip::FromToBody* to = sip::getTo(reply);
    if (to == nullptr || to->tag.empty() || to->tag.size() > kMaxTagLen) return;
    to->tag.copy(c->toTag2xx, to->tag.size());
    __atomic_store_n(&c->toTag2xxLen, static_cast<uint8_t>(to->tag.size()), __ATOMIC_RELEASE);
}

int branchIndex(const Cell* c, const Branch* b) {
    for (uint8_t i = 0; i < c->nBranches; ++i) {
        if (c->branches[i] == b) return i;
    }
    return -1;
}

// The onreply route's verdict: what it decided before the lock was taken (preRan 1 go on,
// 0 drop), or, when it did not run then (-1), what it decides now.
bool onReplyVerdict(Cell* c, Branch* b, route::MsgContext& mc, int preRan) {
    return preRan >= 0 ? preRan == 1 : runOnReply(c, c->onReply, mc, branchIndex(c, b));
}

// The onreply route runs before the transaction's lock is taken, as Kamailio runs its
// onreply_route before the reply lock: a script that waits there (for a media relay's answer:
// rtpengine_manage rewriting the 200's SDP) then holds nothing that the timer process or
// another reply of this transaction needs. Its verdict is applied under the lock
// (branchReply). -1 when it did not run: no route armed, not a reply of the transaction's
// own method, or a negative final on a branch already final. A retransmitted 2xx of an INVITE,
// which goes on statelessly, passes the route too (as in Kamailio), so what the route changed
// in the first one (the SDP a media relay rewrote) is changed in the copy as well.
int preRunOnReply(Cell* c, unsigned index, const sip::CSeqBody& cseq, route::MsgContext& mc) {
    const uint8_t id = __atomic_load_n(&c->onReply, __ATOMIC_ACQUIRE);
    const uint8_t n = __atomic_load_n(&c->nBranches, __ATOMIC_ACQUIRE);
    if (id == 0 || index >= n || cseq.method != c->method) return -1;
    const Branch* b = c->branches[index];
    if (b == nullptr) return -1;
    const int status = mc.msg.start.status;
    const bool retransmitted2xx = c->isInvite() && status >= 200 && status < 300;
    if (__atomic_load_n(&b->final, __ATOMIC_ACQUIRE) && !retransmitted2xx) return -1;
    return runOnReply(c, id, mc, static_cast<int>(index)) ? 1 : 0;
}

void branchReply(Cell* c, Branch* b, route::MsgContext& mc, int preRan) {
    const int status = mc.msg.start.status;
    if (b->final) {
        // A retransmitted final: ACK a negative one again; a 2xx goes on (§13.3.1.4).
        // (Also after a local timeout: the 487 to our CANCEL must be ACKed.)
        if (c->isInvite() && status >= 300) sendAck(b, mc.msg);
        if (c->isInvite() && status >= 200 && status < 300 && preRan != 0) relay(c, mc, status);
        return;
    }
    if (status < 200) {
        const bool first = b->status < 100;
        b->status = static_cast<uint16_t>(status);
        if (c->isInvite()) {
            disarmTimer(c, b->retr);  // timer A stops at a provisional
            if (first) armTimer(c, b->fr, frInvTimeout(c), onBranchFr);  // timer C
            if (b->cancelPending) sendCancel(b);
        } else {
            b->retrInterval = static_cast<uint32_t>(param(&Params::t2));  // E continues at T2
        }
        if (c->onReply != 0 && !onReplyVerdict(c, b, mc, preRan)) return;
        if (status > 100 && !c->has(kUasFinal)) relay(c, mc, status);
        return;
    }
    b->final = true;
    b->status = static_cast<uint16_t>(status);
    disarmTimer(c, b->retr);
    disarmTimer(c, b->fr);
    if (c->isInvite() && status >= 300) sendAck(b, mc.msg);
    if (c->onReply != 0 && !onReplyVerdict(c, b, mc, preRan)) {
        branchesDone(c);
        return;
    }
    if (status < 300) {
        remember2xxTag(c, mc.msg);
        relay(c, mc, status);  // cancels the other branches when it is the first final
        return;
    }
    if (c->has(kUasFinal)) return;
    sip::OutSpans out;
    std::string_view flat;
    if (buildRelayed(mc, &out, &flat)) storeCopy(&b->reply, &b->replyLen, flat);
    if (status >= 600) cancelBranches(c, b->index);
    if (status == 503) tryFailover(c, b);  // RFC 3263 §4.3: the next target of the name
    branchesDone(c);
}

}  // namespace

void branchesDone(Cell* c) {
    if (c->has(kUasFinal) || c->has(kDeleted) || c->has(kInFailure)) return;
    for (unsigned i = 0; i < c->nBranches; ++i) {
        if (!c->branches[i]->final) return;
    }
    if (c->onFailure != 0) {
        const uint8_t id = c->onFailure;
        c->onFailure = 0;  // a failure route arms the next one itself (serial forking)
        Branch* best = pickBest(c);
        const int status = c->has(kCanceled) && (best == nullptr || best->localTimeout)
                               ? 487
                               : (best != nullptr ? best->status : 500);
        c->flags |= kInFailure;
        runFailureRoute(c, id, status, best != nullptr ? best->bflags : 0);
        c->flags &= static_cast<uint16_t>(~kInFailure);
        if (c->has(kUasFinal)) return;
        for (unsigned i = 0; i < c->nBranches; ++i) {
            if (!c->branches[i]->final) return;  // new branches: wait for them
        }
    }
    sendBest(c);
}

bool onReply(route::MsgContext& mc) {
    const sip::ViaBody* via = mc.msg.topVia;
    uint32_t bucket, label;
    unsigned index;
    if (via == nullptr || g_table == nullptr ||
        !parseBranch(via->branch, &bucket, &label, &index)) {
        return false;  // not ours: stateless forwarding decides
    }
    if (bucket >= g_table->size()) return true;
    const sip::CSeqBody* cseq = sip::getCSeq(mc.msg);
    if (cseq == nullptr) return true;
    Cell* c = nullptr;
    {
        BucketGuard g = g_table->lock(bucket);
        for (Cell* x = g_table->bucket(bucket).head; x != nullptr; x = x->next) {
            if (x->label == label) {
                c = x;
                ref(c);
                break;
            }
        }
    }
    if (c == nullptr) return true;  // its transaction is gone: drop, as Kamailio does
    stats::inc(counters().rplReceived);
    const int preRan = preRunOnReply(c, index, *cseq, mc);
    {
        CellLock lk(c);
        if (!c->has(kDeleted) && index < c->nBranches) {
            if (cseq->method == sip::Method::Cancel) {
                // The answer to our CANCEL ends its retransmissions; the INVITE branch still
                // waits for its 487 (or gives up at the CANCEL's timer F).
                c->branches[index]->cancelAnswered = true;
            } else if (cseq->method == c->method) {
                branchReply(c, c->branches[index], mc, preRan);
            }
        }
    }
    unref(c);
    return true;
}

}  // namespace osprey::tm
