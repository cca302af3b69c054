// Branches whose next hop is a name (docs/dns.md). t_relay never waits for DNS: when the name
// is not in the shared cache the branch is created "resolving" — the request copy is built for
// the URI's transport and a socket of the preferred family, stored, and fr_timer armed — and the
// cell lock is released; the transaction exists, so retransmissions are absorbed and an INVITE
// got its 100 Trying. When the DNS process stores the answer it arms the branch's waiter in
// the shared timer wheel, and the timer process, under the cell lock, sets the destination,
// sends and arms the retransmission timer. A name that does not resolve ends the branch (478,
// or 503 when no server answered) and the usual end-of-branches logic runs (failure route,
// best reply).
//
// Failover (use_dns_failover, RFC 3263 §4.3): a branch to a resolved name that gets a 503,
// times out without any response, or cannot be sent, is followed by a new branch (its own
// Via branch id, the same copy otherwise) to the next target of the same resolution, before
// the transaction picks its best reply. Targets whose transport or address family differ
// from the copy's socket are skipped: the copy's Via and Record-Route name that socket.
#include <cstddef>
#include <cstring>
#include <string_view>

#include "core/dns/dns_settings.h"
#include "core/net/listen_socket.h"
#include "core/net/send.h"
#include "core/route/msg_context.h"
#include "core/route/next_hop.h"
#include "modules/tm/match.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

int socketFamily(const net::Destination& d) {
    const net::ListenSocket* s = net::listenSocket(d.socket);
    return s != nullptr ? s->bound.family() : AF_INET;
}

// The first target at or after `from` a copy for b's transport and socket can go to.
int nextFit(const Branch* b, const dns::Answer& a, unsigned from) {
    const int family = socketFamily(b->dest);
    for (unsigned i = from; i < a.count; ++i) {
        if (route::targetFits(a.targets[i], b->dest.proto, family)) return static_cast<int>(i);
    }
    return -1;
}

// The branch ends without having been sent: a local final status (478 no such name, 503 no
// answer or nothing to send to).
void endBranch(Cell* c, Branch* b, int status) {
    b->resolving = false;
    b->final = true;
    b->status = static_cast<uint16_t>(status);
    disarmTimer(c, b->retr);
    disarmTimer(c, b->fr);
}

int statusOf(route::NextHopError e) {
    return e == route::NextHopError::Unresolvable ? 478 : 503;
}

// Cell lock held. The answer for a resolving branch is in: pick the target, send. False when
// the branch ended (not sent, no failover).
bool resume(Cell* c, Branch* b, route::NextHopError e, const dns::Answer& a, bool deferred) {
    b->resolving = false;
    const int pick = e == route::NextHopError::Ok ? nextFit(b, a, 0) : -1;
    if (pick < 0) {
        endBranch(c, b, e == route::NextHopError::Ok ? 503 : statusOf(e));
        return false;
    }
    b->dest.addr = a.targets[pick].addr;
    if (dns::settings().failover && a.count > 1) keepTargets(b, a, static_cast<unsigned>(pick));
    if (sendBranch(c, b, deferred, false)) return true;
    return tryFailover(c, b);
}

// Timer process: the waiter of a resolving branch fired (dns_cache.h), with the reference
// parkBranch took.
void onBranchResolved(timer::TimerNode* n) {
    static_assert(offsetof(dns::Waiter, node) == 0);
    Branch* b = reinterpret_cast<Branch*>(reinterpret_cast<char*>(n) - offsetof(Branch, dnsWait));
    Cell* c = b->cell;
    bool waiting = false;
    {
        CellLock lk(c);
        if (!c->has(kDeleted) && !b->final && b->resolving) {
            dns::Answer a;
            net::Destination dest;
            const route::NextHopDns d{&b->dnsWait, &onBranchResolved, &a};
            const route::NextHopError e = route::nextHopFromUri(b->hopUri(), &dest, &d);
            if (e == route::NextHopError::DnsPending) {
                waiting = true;  // the entry expired or was evicted meanwhile: wait again
            } else if (!resume(c, b, e, a, false)) {
                branchesDone(c);
            }
        }
    }
    if (!waiting) unref(c);
}

// The copy of b's request with its Via branch id replaced by the one of branch `index`.
Branch* copyForIndex(Cell* c, Branch* b, unsigned index) {
    char oldId[kBranchMax], newId[kBranchMax];
    const std::string_view from(oldId, formatBranch(c->bucket, c->label, b->index, oldId));
    const std::string_view to(newId, formatBranch(c->bucket, c->label, index, newId));
    const std::string_view req = b->request();
    // Our Via is the only one with this id; the id ends where the parameter does.
    size_t at = 0;
    for (;;) {
        at = req.find(from, at);
        if (at == std::string_view::npos) return nullptr;
        const size_t end = at + from.size();
        if (end < req.size() && (req[end] == ';' || req[end] == '\r' || req[end] == ',' ||
                                 req[end] == ' ' || req[end] == '\t')) {
            break;
        }
        at = end;
    }
    const uint32_t len = static_cast<uint32_t>(req.size() - from.size() + to.size());
    Branch* nb = newBranch(c, len);
    if (nb == nullptr) return nullptr;
    char* p = nb->data();
    std::memcpy(p, req.data(), at);
    std::memcpy(p + at, to.data(), to.size());
    std::memcpy(p + at + to.size(), req.data() + at + from.size(), req.size() - at - from.size());
    return nb;
}

}  // namespace

bool parkBranch(Cell* c, Branch* b, route::MsgContext* mc) {
    b->resolving = true;
    // fr_timer counts from now, DNS time included (as when a lookup blocks); sendBranch does
    // not arm it again.
    armTimer(c, b->fr, frTimeout(c), onBranchFr);
    ref(c);  // the waiter's
    dns::Answer a;
    net::Destination dest;
    const route::NextHopDns d{&b->dnsWait, &onBranchResolved, &a};
    const route::NextHopError e = route::nextHopFromUri(b->hopUri(), &dest, &d);
    if (e == route::NextHopError::DnsPending) return true;
    unref(c);  // answered in between: no waiter (the caller holds its own reference)
    if (resume(c, b, e, a, true)) return true;
    if (mc != nullptr) {
        const int st = b->status;
        mc->setError(st, st == 478 ? "Unresolvable destination" : "Service Unavailable");
    }
    return false;
}

bool tryFailover(Cell* c, Branch* b) {
    if (!dns::settings().failover || b->targets == nullptr || c->nBranches >= kMaxBranches ||
        c->has(kDeleted) || c->has(kUasFinal) || c->has(kCanceled)) {
        return false;
    }
    const int next = nextFit(b, *b->targets, b->targetIdx + 1u);
    if (next < 0) return false;
    const unsigned idx = c->nBranches;
    Branch* nb = copyForIndex(c, b, idx);
    if (nb == nullptr) return false;
    nb->index = static_cast<uint8_t>(idx);
    nb->dest = b->dest;
    nb->bflags = b->bflags;
    nb->dest.addr = b->targets->targets[next].addr;
    nb->targets = b->targets;  // the rest of the resolution moves on with the new branch
    nb->targetIdx = static_cast<uint8_t>(next);
    b->targets = nullptr;
    c->branches[idx] = nb;
    c->nBranches = static_cast<uint8_t>(idx + 1);
    nb->iov = iovec{nb->data(), nb->reqLen};
    stats::inc(counters().dnsFailovers);
    if (sendBranch(c, nb, false, true)) return true;
    return tryFailover(c, nb);
}

}  // namespace osprey::tm
