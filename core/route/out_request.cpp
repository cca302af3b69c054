// route::buildRequest: the outgoing copy of a request for one branch (out_request.h).
#include "core/route/out_request.h"

#include <cstring>

#include "core/dns/target.h"
#include "core/net/listen_socket.h"
#include "core/route/branch_set.h"
#include "core/route/copy_hooks.h"
#include "core/route/msg_context.h"
#include "core/route/next_hop.h"
#include "core/sip/builder.h"
#include "core/sip/builder_sanitize.h"
#include "core/sip/builder_via.h"
#include "core/sip/via.h"

namespace osprey::route {

namespace {

bool fail(MsgContext& mc, int status, const char* reason) {
    mc.setError(status, reason);
    return false;
}

// received/rport on the previous hop's Via (RFC 3261 §18.2.1, RFC 3581 §4), and over a
// connection its id (";i=", as Kamailio does) so that the reply, routed by whichever process
// gets it, finds the connection (next_hop.h). The same for every copy: added once, before
// the builder's first build.
sip::BuildError addPrevHopVia(MsgContext& mc, sip::MsgBuilder& b) {
    const sip::ViaBody* via = mc.msg.topVia;
    if (via == nullptr) return sip::BuildError::NoVia;
    if (!via->hasRport && !mc.forceRport && mc.recv.connId == 0 &&
        (via->hostKind == sip::HostKind::Ipv4 || via->hostKind == sip::HostKind::Ipv6)) {
        // The common case, decided without formatting the source address: the sent-by is the
        // address the request came from and no rport is wanted, so nothing changes.
        net::SockAddr sentBy;
        if (net::parseIp(via->host, 0, sentBy) && sentBy.sameIp(mc.recv.src)) {
            return sip::BuildError::Ok;
        }
    }
    sip::RangeEdit edits[sip::kMaxReceivedEdits];
    int n = 0;
    const uint16_t srcPort = mc.recv.src.port();
    sip::BuildError e = sip::receivedEdits(mc.msg, *via, mc.srcIp(), srcPort, edits, &n);
    for (int i = 0; i < n && e == sip::BuildError::Ok; ++i) {
        e = b.replaceRange(edits[i].start, edits[i].end, edits[i].text);
    }
    if (e != sip::BuildError::Ok) return e;
    const uint32_t end = mc.msg.offsetOf(via->text) + static_cast<uint32_t>(via->text.size());
    char num[24];
    if (mc.forceRport && !via->hasRport) {
        // As if the Via had carried ";rport": received (if not added already) and rport=.
        const bool addReceived = n == 0 && via->received.empty();
        const std::string_view port(num, sip::formatDecimal(srcPort, num));
        e = b.insertAt(
            end, sip::joinText(mc.msg.arena, {addReceived ? ";received=" : "",
                                              addReceived ? mc.srcIp() : "", ";rport=", port}));
    }
    if (e == sip::BuildError::Ok && mc.recv.connId != 0) {
        const std::string_view id(num, sip::formatDecimal(mc.recv.connId, num));
        e = b.insertAt(end, sip::joinText(mc.msg.arena, {";i=", id}));
    }
    return e;
}

// The received start line, terminator included, when a copy can send it as it is: its URI is
// the branch's and the line is already what RFC 4475 wants forwarded (single spaces, no <>,
// no ?headers). Empty otherwise.
std::string_view reusableStartLine(const sip::SipMsg& msg, std::string_view uri) {
    const sip::StartLine& sl = msg.start;
    if (uri.data() != sl.uri.data() || uri.size() != sl.uri.size()) return {};
    if (sl.text.data() != sl.methodText.data() ||
        sl.text.size() != sl.methodText.size() + 1 + uri.size() + 1 + sl.version.size() ||
        sip::cleanRequestUri(uri).size() != uri.size()) {
        return {};
    }
    size_t end = msg.offsetOf(sl.text) + sl.text.size();
    if (end < msg.data.size() && msg.data[end] == '\r') ++end;
    if (end < msg.data.size() && msg.data[end] == '\n') ++end;
    return msg.data.substr(msg.offsetOf(sl.text), end - msg.offsetOf(sl.text));
}

// Appends the shared spans to iov[0, n) with via right before topVia, the received top Via
// line (where the original text of that line starts; right after iov[0, n) when the script
// removed it and no span holds it). iov has room for n + shared.count + 2 spans; returns the
// new count.
uint32_t placeVia(const char* topVia, uint32_t n, std::string_view via, const sip::OutSpans& shared,
                  iovec* iov) {
    const uint32_t first = n;
    const iovec ours{const_cast<char*>(via.data()), via.size()};
    bool placed = false;
    for (uint32_t i = 0; i < shared.count; ++i) {
        const char* base = static_cast<const char*>(shared.iov[i].iov_base);
        const size_t len = shared.iov[i].iov_len;
        // Edit texts live in the arena, so a span holding topVia is original text.
        if (!placed && topVia != nullptr && base <= topVia && topVia < base + len) {
            if (topVia > base) iov[n++] = iovec{const_cast<char*>(base), size_t(topVia - base)};
            iov[n++] = ours;
            iov[n++] = iovec{const_cast<char*>(topVia), size_t(base + len - topVia)};
            placed = true;
            continue;
        }
        iov[n++] = shared.iov[i];
    }
    if (!placed) {
        for (uint32_t i = n; i > first; --i) iov[i] = iov[i - 1];
        iov[first] = ours;
        ++n;
    }
    return n;
}

}  // namespace

BranchSpec mainBranch(const MsgContext& mc) {
    return BranchSpec{mc.requestUri(), mc.dstUri, mc.ruriPath, -1, mc.lua.bflags};
}

BranchSpec branchSpec(const Branch& b) {
    return BranchSpec{b.uri, b.dstUri, b.path, -1, b.bflags};
}

bool buildRequest(MsgContext& mc, const BranchSpec& spec, std::string_view viaBranch,
                  OutRequest* out, dns::Answer* targets) {
    sip::SipMsg& msg = mc.msg;
    if (!msg.isRequest()) return fail(mc, 500, "Server Internal Error");

    // 1. Next hop and the socket the copy leaves from.
    *out = OutRequest{};
    NextHopDns dns;
    dns.answer = targets;
    if (targets != nullptr) targets->count = 0;
    const NextHopError he = nextHopFromUri(spec.nextHopUri(), &out->dest, &dns);
    if (he == NextHopError::Unresolvable) return fail(mc, 478, "Unresolvable destination");
    if (he == NextHopError::DnsFailed) return fail(mc, 503, "Service Unavailable");
    if (he == NextHopError::DnsPending && targets == nullptr) {
        out->dnsPending = true;  // the caller may wait for the answer and build again
        return fail(mc, 503, "Service Unavailable");
    }
    if (he != NextHopError::Ok && he != NextHopError::DnsPending) {
        return fail(mc, 500, "Bad destination");
    }
    const int preferred = spec.forceSocket >= 0 ? spec.forceSocket
                          : mc.forceSocket >= 0 ? mc.forceSocket
                                                : mc.recv.socket;
    if (he == NextHopError::DnsPending) {
        out->dnsPending = true;
        out->dest.socket = net::chooseSocket(out->dest.proto, AF_INET, preferred);
        if (out->dest.socket < 0) {
            out->dest.socket = net::chooseSocket(out->dest.proto, AF_INET6, preferred);
        }
    } else {
        out->dest.socket = net::chooseSocket(out->dest.proto, out->dest.addr.family(), preferred);
    }
    out->out = net::listenSocket(out->dest.socket);
    if (out->out == nullptr) return fail(mc, 500, "No suitable socket");

    // 2. What every copy shares: the script's edits from the first header on.
    sip::MsgBuilder& b = mc.builder();
    sip::BuildError e = b.finished() ? sip::BuildError::Ok : addPrevHopVia(mc, b);
    sip::OutSpans shared;
    if (e == sip::BuildError::Ok) e = b.buildHeaders(shared);
    if (e != sip::BuildError::Ok) return fail(mc, 500, "Server Internal Error");

    // 3. This copy's own lines: after the request line the copy hooks' lines (Kamailio's
    // place for a Record-Route: the first header) and the Path's Route (above every Route
    // already there); our Via right above the received top Via (lines the script inserted
    // at the top stay above it).
    const CopyTarget target{net::listenSocket(mc.recv.socket), out->out, &out->dest};
    std::string_view lines;
    if (!copyLines(mc, target, &lines)) return fail(mc, 500, "Server Internal Error");
    if (!spec.path.empty() && !sip::isHeaderValue(spec.path)) {
        return fail(mc, 500, "Server Internal Error");
    }
    std::string_view requestLine = reusableStartLine(msg, spec.uri);  // no copy when it fits
    if (requestLine.empty()) {
        const std::string_view uri = sip::cleanRequestUri(spec.uri);
        if (uri.empty()) return fail(mc, 500, "Bad Request-URI");
        requestLine = sip::joinText(
            msg.arena, {msg.start.methodText, " ", uri, " ", msg.start.version, "\r\n"});
    }
    // Usually the received top Via is the first line of the shared part: then our Via simply
    // ends the block of this copy's lines, and no span is split.
    const sip::HeaderField* top = sip::findHeader(msg, sip::HeaderKind::Via);
    const char* topVia = top != nullptr ? msg.data.data() + top->start : nullptr;
    const bool viaFirst = shared.count != 0 && shared.iov[0].iov_base == topVia;
    // Every operand a string_view: a conditional between the socket's std::string and a
    // literal would copy the string (a system allocation per copy).
    using sv = std::string_view;
    const bool route = !spec.path.empty();
    const sv viaPrefix = out->out->viaPrefix;
    const std::string_view own =
        sip::joinText(msg.arena, {lines, route ? sv("Route: ") : sv(), spec.path,
                                  route ? sv("\r\n") : sv(), viaFirst ? viaPrefix : sv(),
                                  viaFirst ? viaBranch : sv(), viaFirst ? sv("\r\n") : sv()});
    const std::string_view via =
        viaFirst ? sv() : sip::joinText(msg.arena, {viaPrefix, viaBranch, "\r\n"});
    auto* iov = static_cast<iovec*>(msg.arena.alloc(sizeof(iovec) * (shared.count + 4)));
    if (requestLine.empty() || (viaFirst ? own.empty() : via.empty()) || iov == nullptr) {
        return fail(mc, 500, "Server Internal Error");
    }
    uint32_t n = 0;
    iov[n++] = iovec{const_cast<char*>(requestLine.data()), requestLine.size()};
    if (!own.empty()) iov[n++] = iovec{const_cast<char*>(own.data()), own.size()};
    if (viaFirst) {
        std::memcpy(iov + n, shared.iov, sizeof(iovec) * shared.count);
        n += shared.count;
    } else {
        n = placeVia(topVia, n, via, shared, iov);
    }
    out->spans.iov = iov;
    out->spans.count = n;
    out->spans.bytes = requestLine.size() + own.size() + via.size() + shared.bytes;
    return true;
}

}  // namespace osprey::route
