// The client side (RFC 3261 §16.6, §17.1): one branch per destination, each a shm block with
// the request exactly as sent (request line for its URI, our Via with a branch naming the
// cell, Route for a Path); CANCEL and the ACK for negative replies are built from that copy,
// so they carry the same Request-URI, Via, From, Call-ID, CSeq number and Route set
// (§9.1, §17.1.1.3).
#include <cstring>
#include <string_view>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/send.h"
#include "core/route/copy_hooks.h"
#include "core/route/forward.h"
#include "core/route/msg_context.h"
#include "core/route/next_hop.h"
#include "core/sip/builder.h"
#include "core/sip/cseq.h"
#include "core/sip/msg.h"
#include "core/sip/builder_via.h"
#include "modules/tm/match.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

// Appends pieces into a buffer of known capacity.
struct Writer {
    char* p;
    size_t n = 0;
    void put(std::string_view s) {
        if (s.empty()) return;  // an empty view may have no data pointer
        std::memcpy(p + n, s.data(), s.size());
        n += s.size();
    }
};

std::string_view lineOf(const sip::SipMsg& m, const sip::HeaderField& h) {
    return m.data.substr(h.start, h.end - h.start);
}

bool addBranch(Cell* c, route::MsgContext& mc, std::string_view rest, std::string_view uri,
               std::string_view dst, std::string_view path) {
    net::Destination dest;
    const route::NextHopError he = route::nextHopFromUri(dst.empty() ? uri : dst, &dest);
    if (he != route::NextHopError::Ok) {
        if (he == route::NextHopError::Unresolvable) {
            mc.setError(478, "Unresolvable destination");
        } else {
            mc.setError(500, "Bad destination");
        }
        return false;
    }
    dest.socket = net::chooseSocket(dest.proto, dest.addr.family(),
                                    mc.forceSocket >= 0 ? mc.forceSocket : mc.recv.socket);
    const net::ListenSocket* out = net::listenSocket(dest.socket);
    if (out == nullptr) {
        mc.setError(500, "No suitable socket");
        return false;
    }
    // Lines modules add per copy (rr's Record-Route names the socket this copy leaves from).
    const route::CopyTarget target{net::listenSocket(mc.recv.socket), out, &dest};
    std::string_view lines;
    if (!route::copyLines(mc, target, &lines)) {
        mc.setError(500, "Server Internal Error");
        return false;
    }
    const unsigned idx = c->nBranches;
    char branchId[kBranchMax];
    const size_t branchLen = formatBranch(c->bucket, c->label, idx, branchId);
    const std::string_view method = mc.msg.start.methodText;
    const size_t lineLen = method.size() + 1 + uri.size() + 10;
    const size_t viaLen = out->viaPrefix.size() + branchLen + 2;
    const size_t routeLen = path.empty() ? 0 : 7 + path.size() + 2;
    const size_t total = lineLen + viaLen + lines.size() + routeLen + rest.size();
    if (total > 0xFFFF) {
        mc.setError(513, "Message Too Large");
        return false;
    }
    Branch* b = newBranch(c, static_cast<uint32_t>(total));
    if (b == nullptr) {
        mc.setError(500, "No shared memory");
        return false;
    }
    Writer w{b->data()};
    w.put(method);
    w.put(" ");
    b->ruri = Piece{static_cast<uint16_t>(w.n), static_cast<uint16_t>(uri.size())};
    w.put(uri);
    w.put(" SIP/2.0\r\n");
    b->via = Piece{static_cast<uint16_t>(w.n), static_cast<uint16_t>(viaLen)};
    w.put(out->viaPrefix);
    w.put(std::string_view(branchId, branchLen));
    w.put("\r\n");
    w.put(lines);
    if (!path.empty()) {
        w.put("Route: ");
        w.put(path);
        w.put("\r\n");
    }
    w.put(rest);
    b->dest = dest;
    b->index = static_cast<uint8_t>(idx);
    c->branches[idx] = b;
    c->nBranches = static_cast<uint8_t>(idx + 1);

    // The block lives as long as the cell, which outlives the send batch.
    b->iov = iovec{b->data(), b->reqLen};
    if (!net::sendDeferred(dest, &b->iov, 1)) {
        b->final = true;
        b->status = 500;
        b->localTimeout = true;
        mc.setError(477, "Unfortunately error on sending to next hop occurred");
        return false;
    }
    stats().branches.fetch_add(1, std::memory_order_relaxed);
    if (dest.proto == net::Proto::Udp) {
        b->retrInterval = static_cast<uint32_t>(g_params.t1);
        armTimer(c, b->retr, b->retrInterval, onBranchRetr);
    }
    armTimer(c, b->fr, frTimeout(c), onBranchFr);
    return true;
}

// CANCEL or ACK for branch b (RFC 3261 §9.1, §17.1.1.3): To from `to` (the reply's To line
// for an ACK, the request's for a CANCEL).
void sendBranchRequest(Branch* b, std::string_view method, const sip::HeaderField* toLine,
                       const sip::SipMsg* toMsg) {
    sip::SipMsg req;
    if (!sip::parseMsg(req, b->request())) return;
    sip::parseHeaders(req, sip::HDR_EOH);
    const sip::HeaderField* from = sip::findHeader(req, sip::HeaderKind::From);
    const sip::HeaderField* callId = sip::findHeader(req, sip::HeaderKind::CallId);
    const sip::CSeqBody* cseq = sip::getCSeq(req);
    if (toLine == nullptr) {
        toLine = sip::findHeader(req, sip::HeaderKind::To);
        toMsg = &req;
    }
    if (from == nullptr || callId == nullptr || cseq == nullptr || toLine == nullptr) return;
    char num[24];
    const std::string_view cseqNum(num, sip::formatDecimal(cseq->number, num));
    char buf[8192];
    size_t need = method.size() + 1 + b->ruri.len + 10 + b->via.len + 64 + cseqNum.size() +
                  lineOf(req, *from).size() + lineOf(*toMsg, *toLine).size() +
                  lineOf(req, *callId).size();
    for (sip::HeaderField* r = sip::findHeader(req, sip::HeaderKind::Route); r != nullptr;
         r = sip::nextHeader(req, *r)) {
        need += lineOf(req, *r).size();
    }
    if (need > sizeof buf) return;
    Writer w{buf};
    w.put(method);
    w.put(" ");
    w.put(b->piece(b->ruri));
    w.put(" SIP/2.0\r\n");
    w.put(b->piece(b->via));
    for (sip::HeaderField* r = sip::findHeader(req, sip::HeaderKind::Route); r != nullptr;
         r = sip::nextHeader(req, *r)) {
        w.put(lineOf(req, *r));
    }
    w.put(lineOf(req, *from));
    w.put(lineOf(*toMsg, *toLine));
    w.put(lineOf(req, *callId));
    w.put("CSeq: ");
    w.put(cseqNum);
    w.put(" ");
    w.put(method);
    w.put("\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    iovec iov{buf, w.n};
    net::send(b->dest, &iov, 1);
}

}  // namespace

int forwardBranches(Cell* c, route::MsgContext& mc) {
    if (c->has(kDeleted) || c->has(kUasFinal)) return 0;
    struct Target {
        std::string_view uri, dst, path;
        bool drop = false;
    };
    Target targets[kMaxBranches];
    unsigned n = 0;
    const unsigned room = kMaxBranches - c->nBranches;
    if (n < room) targets[n++] = Target{mc.requestUri(), mc.dstUri, mc.ruriPath};
    for (const route::Branch& br : mc.branches()) {
        if (n < room) targets[n++] = Target{br.uri, br.dstUri, br.path};
    }
    if (c->onBranch != 0) {
        // Kamailio's branch_route: once per branch, with that branch's R-URI and $du; what it
        // changes there goes with that branch (header edits reach every branch built after).
        const std::string_view savedRuri = mc.newRuri, savedDst = mc.dstUri;
        for (unsigned i = 0; i < n; ++i) {
            mc.newRuri = targets[i].uri;
            mc.dstUri = targets[i].dst;
            targets[i].drop = !runBranchRoute(c->onBranch, mc);
            targets[i].uri = mc.requestUri();
            targets[i].dst = mc.dstUri;
        }
        mc.newRuri = savedRuri;
        mc.dstUri = savedDst;
    }
    sip::BuildError e = route::fixTopVia(mc);
    sip::OutSpans built;
    if (e == sip::BuildError::Ok) e = mc.builder().build(built);
    std::string_view common;
    if (e == sip::BuildError::Ok) common = sip::flattenSpans(built, mc.msg.arena);
    const size_t eol = common.find("\r\n");
    if (common.empty() || eol == std::string_view::npos) {
        mc.setError(500, "Server Internal Error");
        return 0;
    }
    const std::string_view rest = common.substr(eol + 2);
    int sent = 0;
    for (unsigned i = 0; i < n; ++i) {
        if (targets[i].drop) continue;
        sent += addBranch(c, mc, rest, targets[i].uri, targets[i].dst, targets[i].path) ? 1 : 0;
    }
    return sent;
}

void sendCancel(Branch* b) {
    if (b->cancelSent) return;
    b->cancelSent = true;
    b->cancelPending = false;
    sendBranchRequest(b, "CANCEL", nullptr, nullptr);
    // A non-INVITE client transaction of its own (§9.1, §17.1.2.2): E over UDP until a
    // response, and 64*T1 for the INVITE branch to end before it is given up.
    Cell* c = b->cell;
    b->cancelLeft = 64 * static_cast<uint32_t>(g_params.t1);
    b->cancelInterval = b->dest.proto == net::Proto::Udp ? static_cast<uint32_t>(g_params.t1) : 0;
    armTimer(c, b->cancelTimer, b->cancelInterval != 0 ? b->cancelInterval : b->cancelLeft,
             onCancelTimer);
}

void resendCancel(Branch* b) {
    sendBranchRequest(b, "CANCEL", nullptr, nullptr);
}

void sendAck(Branch* b, sip::SipMsg& reply) {
    const sip::HeaderField* to = sip::findHeader(reply, sip::HeaderKind::To);
    if (to != nullptr) sendBranchRequest(b, "ACK", to, &reply);
}

void cancelBranches(Cell* c, int except) {
    if (!c->isInvite()) return;
    for (unsigned i = 0; i < c->nBranches; ++i) {
        Branch* b = c->branches[i];
        if (static_cast<int>(i) == except || b->final || b->cancelSent) continue;
        // RFC 3261 §9.1: no CANCEL before a provisional response; it goes when one comes.
        if (b->status >= 100) {
            sendCancel(b);
        } else {
            b->cancelPending = true;
        }
    }
}

}  // namespace osprey::tm
