// Timer handlers (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §16.8). Each runs in the timer
// process with the reference of the timer that fired, takes the transaction lock and acts only
// if the state still calls for it (see tm_core.h for why).
#include <algorithm>
#include <cstddef>

#include "core/net/send.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

template <class T>
T* owner(timer::TimerNode* n, size_t offset) {
    return reinterpret_cast<T*>(reinterpret_cast<char*>(n) - offset);
}

void resend(const net::Destination& d, char* data, size_t len) {
    iovec iov{data, len};
    net::send(d, &iov, 1);
    stats::inc(counters().retransmitted);
}

}  // namespace

// Timers A (INVITE, until a provisional) and E (non-INVITE, T2 once provisional).
void onBranchRetr(timer::TimerNode* n) {
    Branch* b = owner<Branch>(n, offsetof(Branch, retr));
    Cell* c = b->cell;
    {
        CellLock lk(c);
        if (!c->has(kDeleted) && !b->final && !(c->isInvite() && b->status >= 100)) {
            resend(b->dest, b->data(), b->reqLen);
            b->retrInterval =
                std::min(b->retrInterval * 2, static_cast<uint32_t>(param(&Params::t2)));
            armTimer(c, b->retr, b->retrInterval, onBranchRetr);
        }
    }
    unref(c);
}

// Timers B/F (fr_timer: no reply) and C (fr_inv_timer: no final after a provisional): the
// branch ends as a local 408; a ringing INVITE branch is CANCELled (§16.8).
void onBranchFr(timer::TimerNode* n) {
    Branch* b = owner<Branch>(n, offsetof(Branch, fr));
    Cell* c = b->cell;
    {
        CellLock lk(c);
        if (!c->has(kDeleted) && !b->final) {
            if (c->isInvite() && b->status >= 100) sendCancel(b);
            const bool silent = b->status < 100 && !b->resolving;  // no response at all
            b->resolving = false;
            b->final = true;
            b->status = 408;
            b->localTimeout = true;
            disarmTimer(c, b->retr);
            if (silent) tryFailover(c, b);  // RFC 3263 §4.3: the next target of the name
            branchesDone(c);
        }
    }
    unref(c);
}

// Our CANCEL's timers (RFC 3261 §17.1.2.2, §9.1): E resends it over UDP (T1 doubling up to
// T2) until it is answered or the INVITE branch got its final reply; F, 64*T1 after it was
// sent, ends an INVITE branch the callee never ended (a local timeout: the caller gets 487
// when it CANCELled, otherwise the best reply or 408).
void onCancelTimer(timer::TimerNode* n) {
    Branch* b = owner<Branch>(n, offsetof(Branch, cancelTimer));
    Cell* c = b->cell;
    {
        CellLock lk(c);
        if (!c->has(kDeleted)) {
            const uint32_t armed =
                b->cancelInterval != 0 ? std::min(b->cancelInterval, b->cancelLeft) : b->cancelLeft;
            b->cancelLeft -= armed;
            if (b->cancelAnswered || (b->final && !b->localTimeout)) b->cancelInterval = 0;
            if (b->cancelLeft == 0) {
                if (!b->final) {
                    b->final = true;
                    b->status = 408;
                    b->localTimeout = true;
                    disarmTimer(c, b->retr);
                    disarmTimer(c, b->fr);
                    branchesDone(c);
                }
            } else if (b->cancelInterval != 0) {
                resendCancel(b);
                stats::inc(counters().retransmitted);
                b->cancelInterval =
                    std::min(b->cancelInterval * 2, static_cast<uint32_t>(param(&Params::t2)));
                armTimer(c, b->cancelTimer, std::min(b->cancelInterval, b->cancelLeft),
                         onCancelTimer);
            } else if (!b->final) {
                armTimer(c, b->cancelTimer, b->cancelLeft, onCancelTimer);
            }
        }
    }
    unref(c);
}

// Timer G: a negative final reply to an INVITE, again until the ACK comes (H ends it).
void onUasRetr(timer::TimerNode* n) {
    Cell* c = owner<Cell>(n, offsetof(Cell, uasRetr));
    {
        CellLock lk(c);
        if (!c->has(kDeleted) && !c->has(kAckSeen) && c->uasReply != nullptr) {
            resend(c->replyDest, c->uasReply, c->uasReplyLen);
            c->uasRetrInterval =
                std::min(c->uasRetrInterval * 2, static_cast<uint32_t>(param(&Params::t2)));
            armTimer(c, c->uasRetr, c->uasRetrInterval, onUasRetr);
        }
    }
    unref(c);
}

// The end of the wait state (wt_timer, H, I): the transaction goes.
void onWait(timer::TimerNode* n) {
    Cell* c = owner<Cell>(n, offsetof(Cell, wait));
    deleteCell(c);
    unref(c);
}

}  // namespace osprey::tm
