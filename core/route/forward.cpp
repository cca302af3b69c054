// Stateless forwarding of requests and replies.
#include "core/route/forward.h"

#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/route/branch.h"
#include "core/route/copy_hooks.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "core/route/next_hop.h"
#include "core/route/via_splice.h"
#include "core/sip/builder_via.h"
#include "core/sip/via.h"

namespace osprey::route {

namespace {

void logDrop(MsgContext& mc, const char* what, const char* why) {
    static net::LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_NOTICE("cannot forward %s from %s: %s (%lu more not logged)", what,
                  net::toString(mc.recv.src).c_str(), why, static_cast<unsigned long>(skipped));
    }
}

bool fail(MsgContext& mc, int status, const char* reason, const char* why) {
    mc.setError(status, reason);
    logDrop(mc, mc.msg.isRequest() ? "a request" : "a reply", why);
    return false;
}

}  // namespace

// received/rport on the previous hop's Via (RFC 3261 §18.2.1, RFC 3581 §4), once per message.
sip::BuildError fixTopVia(MsgContext& mc) {
    if (mc.viaFixed) return sip::BuildError::Ok;
    const sip::ViaBody* via = mc.msg.topVia;
    if (via == nullptr) return sip::BuildError::NoVia;
    if (!via->hasRport && !mc.forceRport && mc.recv.connId == 0 &&
        (via->hostKind == sip::HostKind::Ipv4 || via->hostKind == sip::HostKind::Ipv6)) {
        // The common case, decided without formatting the source address: the sent-by is the
        // address the request came from and no rport is wanted, so nothing changes.
        net::SockAddr sentBy;
        if (net::parseIp(via->host, 0, sentBy) && sentBy.sameIp(mc.recv.src)) {
            mc.viaFixed = true;
            return sip::BuildError::Ok;
        }
    }
    sip::RangeEdit edits[sip::kMaxReceivedEdits];
    int n = 0;
    const uint16_t srcPort = mc.recv.src.port();
    sip::BuildError e = sip::receivedEdits(mc.msg, *via, mc.srcIp(), srcPort, edits, &n);
    if (e != sip::BuildError::Ok) return e;
    sip::MsgBuilder& b = mc.builder();
    for (int i = 0; i < n && e == sip::BuildError::Ok; ++i) {
        e = b.replaceRange(edits[i].start, edits[i].end, edits[i].text);
    }
    if (e == sip::BuildError::Ok && mc.forceRport && !via->hasRport) {
        // As if the Via had carried ";rport": received (if not added already) and rport=.
        const uint32_t end = mc.msg.offsetOf(via->text) + static_cast<uint32_t>(via->text.size());
        char text[80];
        size_t len = 0;
        auto put = [&](std::string_view s) {
            std::memcpy(text + len, s.data(), s.size());
            len += s.size();
        };
        if (n == 0 && via->received.empty()) {
            put(";received=");
            put(mc.srcIp());
        }
        put(";rport=");
        char num[24];
        put(std::string_view(num, sip::formatDecimal(srcPort, num)));
        e = b.insertAt(end, std::string_view(text, len));
    }
    if (e == sip::BuildError::Ok && mc.recv.connId != 0) {
        // Received over a connection: its id goes along (";i=", as Kamailio does), so the
        // reply, routed by whichever process gets it, finds the connection (next_hop.h).
        const uint32_t end = mc.msg.offsetOf(via->text) + static_cast<uint32_t>(via->text.size());
        char text[32] = ";i=";
        const size_t len = 3 + sip::formatDecimal(mc.recv.connId, text + 3);
        e = b.insertAt(end, std::string_view(text, len));
    }
    if (e == sip::BuildError::Ok) mc.viaFixed = true;
    return e;
}

bool forwardRequest(MsgContext& mc, std::string_view uri) {
    sip::SipMsg& msg = mc.msg;
    if (!msg.isRequest() || mc.lua.dropped) return false;
    if (uri.empty()) uri = !mc.dstUri.empty() ? mc.dstUri : mc.requestUri();

    net::Destination dest;
    const NextHopError he = nextHopFromUri(uri, &dest);
    if (he == NextHopError::Unresolvable) {
        return fail(mc, 478, "Unresolvable destination", nextHopErrorText(he));
    }
    if (he != NextHopError::Ok) return fail(mc, 500, "Bad destination", nextHopErrorText(he));
    dest.socket = net::chooseSocket(dest.proto, dest.addr.family(),
                                    mc.forceSocket >= 0 ? mc.forceSocket : mc.recv.socket);
    const net::ListenSocket* out = net::listenSocket(dest.socket);
    if (out == nullptr) {
        return fail(mc, 500, "No suitable socket", "no listen socket for that transport/family");
    }

    sip::BuildError e = fixTopVia(mc);
    sip::MsgBuilder& b = mc.builder();
    if (e == sip::BuildError::Ok && !mc.newRuri.empty() && !mc.ruriApplied) {
        // The request line is rewritten when the copy is first built; a later rewrite of the
        // R-URI does not reach copies already built for this message.
        e = b.setRequestUri(mc.newRuri);
        mc.ruriApplied = e == sip::BuildError::Ok;
    }
    if (e == sip::BuildError::Ok && !mc.ruriPath.empty() && !mc.ruriPathApplied) {
        // RFC 3327 §5.3: the Request-URI's Path as a pre-loaded route set ($du names its
        // first hop).
        e = b.prependHeader("Route", mc.ruriPath);
        mc.ruriPathApplied = e == sip::BuildError::Ok;
    }
    sip::OutSpans built;
    if (e == sip::BuildError::Ok) e = b.build(built);
    if (e != sip::BuildError::Ok) return fail(mc, 500, "Server Internal Error", sip::buildErrorText(e));

    char branch[kStatelessBranchLen];
    statelessBranch(msg, uri, branch);
    sip::OutSpans spliced;
    if (!spliceTopVia(msg, built, out->viaPrefix, std::string_view(branch, sizeof branch),
                      &spliced)) {
        return fail(mc, 500, "Server Internal Error", "no place for our Via");
    }
    const CopyTarget target{net::listenSocket(mc.recv.socket), out, &dest};
    if (!applyCopyHooks(mc, target, spliced, &spliced)) {
        return fail(mc, 500, "Server Internal Error", "per-copy header lines failed");
    }
    if (!net::sendDeferred(dest, spliced.iov, spliced.count)) {
        mc.setError(477, "Unfortunately error on sending to next hop occurred");
        return false;
    }
    ++mc.forwards;
    return true;
}

bool forwardReply(MsgContext& mc) {
    sip::SipMsg& msg = mc.msg;
    const sip::ViaBody* top = msg.topVia;
    if (msg.isRequest() || mc.lua.dropped || top == nullptr) return false;
    if (!isMyself(top->host, top->hasPort ? top->port : 5060)) {
        logDrop(mc, "a reply", "its top Via is not ours");
        return false;
    }
    // The next Via: in the same header line, or the first value of the next Via header.
    const sip::ViaBody* next = top->next;
    if (next == nullptr) {
        sip::HeaderField* first = sip::findHeader(msg, sip::HeaderKind::Via);
        sip::HeaderField* second = first != nullptr ? sip::nextHeader(msg, *first) : nullptr;
        if (second != nullptr) next = sip::parseVia(msg, *second);
    }
    if (next == nullptr) {
        logDrop(mc, "a reply", "no second Via");  // a reply to something we sent ourselves
        return false;
    }
    net::Destination dest;
    const NextHopError he = nextHopFromVia(*next, &dest);
    if (he != NextHopError::Ok) return fail(mc, 500, "Server Internal Error", nextHopErrorText(he));
    dest.socket = net::chooseSocket(dest.proto, dest.addr.family(), mc.recv.socket);
    sip::MsgBuilder& b = mc.builder();
    sip::BuildError e = b.popVia();
    sip::OutSpans built;
    if (e == sip::BuildError::Ok) e = b.build(built);
    if (e != sip::BuildError::Ok) return fail(mc, 500, "Server Internal Error", sip::buildErrorText(e));
    if (!net::sendDeferred(dest, built.iov, built.count)) return false;
    ++mc.forwards;
    return true;
}

}  // namespace osprey::route
