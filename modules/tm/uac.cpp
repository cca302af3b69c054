// The client side (RFC 3261 §16.6, §17.1): one branch per destination, each a shm block with
// the request exactly as sent, built by the core's forwarding pipeline (route::buildRequest,
// docs/forwarding.md) with our Via's branch naming the cell; CANCEL and the ACK for negative
// replies are built from that copy (route::buildHopRequest), so they carry the same
// Request-URI, Via, From, Call-ID, CSeq number and Route set (§9.1, §17.1.1.3).
#include <string_view>

#include "core/dns/dns_settings.h"
#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/send.h"
#include "core/route/branch_scope.h"
#include "core/route/hop_request.h"
#include "core/route/msg_context.h"
#include "core/route/out_request.h"
#include "core/sip/builder_output.h"
#include "core/sip/msg.h"
#include "modules/tm/match.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

// One branch: built by the core's forwarding pipeline (route::buildRequest), copied once into
// the branch's shm block and sent from there; a next hop still resolving parks it
// (dns_branch.cpp).
bool addBranch(Cell* c, route::MsgContext& mc, const route::BranchSpec& spec) {
    const unsigned idx = c->nBranches;
    if (idx >= kMaxBranches) {  // failover branches took the room forwardBranches counted on
        mc.setError(500, "Too many branches");
        return false;
    }
    char branchId[kBranchMax];
    const size_t branchLen = formatBranch(c->bucket, c->label, idx, branchId);
    route::OutRequest out;
    dns::Answer targets;
    if (!route::buildRequest(mc, spec, std::string_view(branchId, branchLen), &out, &targets)) {
        return false;
    }
    const std::string_view hop = out.dnsPending ? spec.nextHopUri() : std::string_view();
    Branch* b = hop.size() <= UINT16_MAX ? newBranch(c, static_cast<uint32_t>(out.spans.bytes), hop)
                                         : nullptr;
    if (b == nullptr) {
        mc.setError(500, "No shared memory");
        return false;
    }
    sip::flattenSpans(out.spans, b->data(), b->reqLen);
    b->dest = out.dest;
    b->index = static_cast<uint8_t>(idx);
    b->bflags = spec.bflags;
    c->branches[idx] = b;
    c->nBranches = static_cast<uint8_t>(idx + 1);
    // The block lives as long as the cell, which outlives the send batch.
    b->iov = iovec{b->data(), b->reqLen};
    if (out.dnsPending) return parkBranch(c, b, &mc);
    if (targets.count > 1 && dns::settings().failover) {
        // Failover goes on from the target buildRequest chose.
        unsigned used = 0;
        while (used < targets.count && !(targets.targets[used].addr == b->dest.addr)) ++used;
        if (used < targets.count) keepTargets(b, targets, used);
    }
    if (sendBranch(c, b, true, true) || tryFailover(c, b)) return true;
    mc.setError(477, "Unfortunately error on sending to next hop occurred");
    return false;
}

// CANCEL or ACK for branch b, built by the core from the request as sent (hop_request.h).
// toLine: the reply's To line for an ACK; empty for a CANCEL.
void sendBranchRequest(Branch* b, std::string_view method, std::string_view toLine) {
    sip::SipMsg sent;
    sip::OutSpans spans;
    if (!sip::parseMsg(sent, b->request()) ||
        !route::buildHopRequest(sent, method, toLine, &spans)) {
        return;
    }
    net::send(b->dest, spans.iov, spans.count);
}

}  // namespace

bool sendBranch(Cell* c, Branch* b, bool deferred, bool armFr) {
    const bool sent =
        deferred ? net::sendDeferred(b->dest, &b->iov, 1) : net::send(b->dest, &b->iov, 1);
    if (!sent) {
        b->final = true;
        b->status = 500;
        b->localTimeout = true;
        disarmTimer(c, b->fr);
        return false;
    }
    stats::inc(counters().branches);
    if (b->dest.proto == net::Proto::Udp) {
        b->retrInterval = static_cast<uint32_t>(param(&Params::t1));
        armTimer(c, b->retr, b->retrInterval, onBranchRetr);
    }
    if (armFr) armTimer(c, b->fr, frTimeout(c), onBranchFr);
    return true;
}

int forwardBranches(Cell* c, route::MsgContext& mc) {
    if (c->has(kDeleted) || c->has(kUasFinal)) return 0;
    route::BranchSpec targets[kMaxBranches];
    bool drop[kMaxBranches] = {};
    unsigned n = 0;
    const unsigned room = kMaxBranches - c->nBranches;
    if (n < room) targets[n++] = route::mainBranch(mc);
    for (const route::Branch& br : mc.branches()) {
        if (n < room) targets[n++] = route::branchSpec(br);
    }
    if (c->onBranch != 0) {
        // Kamailio's branch_route: once per branch, with that branch's R-URI, $du and Path;
        // what it changes there goes with that branch (header edits reach every branch
        // built after).
        for (unsigned i = 0; i < n; ++i) {
            route::BranchScope scope(mc, targets[i]);
            drop[i] = !runBranchRoute(c->onBranch, mc, static_cast<int>(c->nBranches + i));
            targets[i] = scope.spec();
        }
    }
    int sent = 0;
    for (unsigned i = 0; i < n; ++i) {
        if (drop[i]) continue;
        sent += addBranch(c, mc, targets[i]) ? 1 : 0;
    }
    return sent;
}

void sendCancel(Branch* b) {
    if (b->cancelSent) return;
    b->cancelSent = true;
    b->cancelPending = false;
    sendBranchRequest(b, "CANCEL", {});
    // A non-INVITE client transaction of its own (§9.1, §17.1.2.2): E over UDP until a
    // response, and 64*T1 for the INVITE branch to end before it is given up.
    Cell* c = b->cell;
    b->cancelLeft = 64 * static_cast<uint32_t>(param(&Params::t1));
    b->cancelInterval =
        b->dest.proto == net::Proto::Udp ? static_cast<uint32_t>(param(&Params::t1)) : 0;
    armTimer(c, b->cancelTimer, b->cancelInterval != 0 ? b->cancelInterval : b->cancelLeft,
             onCancelTimer);
}

void resendCancel(Branch* b) {
    sendBranchRequest(b, "CANCEL", {});
}

void sendAck(Branch* b, sip::SipMsg& reply) {
    const sip::HeaderField* to = sip::findHeader(reply, sip::HeaderKind::To);
    if (to != nullptr)
        sendBranchRequest(b, "ACK", reply.data.substr(to->start, to->end - to->start));
}

bool cancelBranches(Cell* c, int except) {
    if (!c->isInvite()) return false;
    bool ended = false;
    for (unsigned i = 0; i < c->nBranches; ++i) {
        Branch* b = c->branches[i];
        if (static_cast<int>(i) == except || b->final || b->cancelSent) continue;
        if (b->resolving) {
            // Never sent: nothing to CANCEL downstream; the branch ends here (a local 487).
            b->resolving = false;
            b->final = true;
            b->status = 487;
            b->localTimeout = true;
            disarmTimer(c, b->fr);
            ended = true;
            continue;
        }
        // RFC 3261 §9.1: no CANCEL before a provisional response; it goes when one comes.
        if (b->status >= 100) {
            sendCancel(b);
        } else {
            b->cancelPending = true;
        }
    }
    return ended;
}

}  // namespace osprey::tm
