// received/rport for the top Via (RFC 3261 §18.2.1, RFC 3581 §4).
#include "core/sip/builder_via.h"

#include <cstring>
#include <utility>

#include "core/sip/builder_sanitize.h"
#include "core/sip/msg.h"
#include "core/sip/params.h"
#include "core/sip/sip_lex.h"
#include "core/sip/uri_chars.h"
#include "core/sip/via.h"

namespace osprey::sip {

namespace {

// True when the Via sent-by host is the same address as the packet's source. A name always
// differs from an address (RFC 3261 §18.2.1: no DNS here).
bool sameAddress(const ViaBody& v, std::string_view ip) {
    if (v.hostKind == HostKind::Ipv4) {
        uint8_t a[4], b[4];
        return uri_chars::parseIpv4(v.host, a) && uri_chars::parseIpv4(ip, b) &&
               std::memcmp(a, b, 4) == 0;
    }
    if (v.hostKind == HostKind::Ipv6 && v.host.size() > 2) {
        uint8_t a[16], b[16];
        return uri_chars::parseIpv6(v.host.substr(1, v.host.size() - 2), a) &&
               uri_chars::parseIpv6(ip, b) && std::memcmp(a, b, 16) == 0;
    }
    return false;
}

std::string_view arenaConcat(MsgArena& arena, std::string_view a, std::string_view b) {
    char* p = static_cast<char*>(arena.alloc(a.size() + b.size()));
    if (p == nullptr) return {};
    if (!a.empty()) std::memcpy(p, a.data(), a.size());
    if (!b.empty()) std::memcpy(p + a.size(), b.data(), b.size());
    return std::string_view(p, a.size() + b.size());
}

}  // namespace

size_t formatDecimal(uint64_t v, char* out) {
    char rev[24];
    size_t n = 0;
    do {
        rev[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; ++i) out[i] = rev[n - 1 - i];
    return n;
}

BuildError receivedEdits(SipMsg& msg, const ViaBody& via, std::string_view srcIp, uint16_t srcPort,
                         RangeEdit out[kMaxReceivedEdits], int* count) {
    *count = 0;
    const ViaBody* v = &via;
    if (srcIp.size() > 2 && srcIp.front() == '[' && srcIp.back() == ']') {
        srcIp = srcIp.substr(1, srcIp.size() - 2);
    }
    if (srcIp.empty() || srcIp.size() > 64) return BuildError::BadHeader;
    for (char c : srcIp) {
        // An address is hex digits, '.' and ':' (and a zone id, to be lenient: a token).
        if (!uri_chars::is(c, uri_chars::kToken) && c != ':') return BuildError::BadHeader;
    }
    uint32_t viaEnd = msg.offsetOf(v->text) + static_cast<uint32_t>(v->text.size());
    char num[24];
    std::string_view port(num, formatDecimal(srcPort, num));

    Param p;
    Param received;
    bool haveReceived = false;
    bool rportDone = false;
    ParamIter it(v->params);
    while (it.next(p)) {
        if (lex::equalsNoCase(p.name, "received")) {
            if (!haveReceived) received = p;
            haveReceived = true;
        } else if (lex::equalsNoCase(p.name, "rport") && srcPort != 0 && !rportDone) {
            rportDone = true;
            RangeEdit& e = out[(*count)++];
            const uint32_t nameStart = msg.offsetOf(p.name);
            const uint32_t nameEnd = nameStart + static_cast<uint32_t>(p.name.size());
            if (p.hasValue && !p.value.empty()) {
                e.start = msg.offsetOf(p.value);
                e.end = e.start + static_cast<uint32_t>(p.value.size());
                e.text = arenaConcat(msg.arena, port, {});
            } else {
                // ";rport" or ";rport=" without a value: the parameter as written is replaced
                // by itself plus the value. Not an insertion after it: when rport is the last
                // parameter that offset is the Via's end, where other insertions (";received=",
                // a connection id) land too and could come between the name and its value.
                uint32_t end = nameEnd;
                if (p.hasValue) {
                    while (end < viaEnd && msg.data[end] != '=') ++end;
                    if (end < viaEnd) ++end;
                }
                char value[25] = "=";
                std::memcpy(value + 1, port.data(), port.size());
                e.start = nameStart;
                e.end = end;
                e.text = arenaConcat(msg.arena, msg.data.substr(nameStart, end - nameStart),
                                     p.hasValue ? port : std::string_view(value, port.size() + 1));
            }
            if (e.text.empty()) return BuildError::OutOfMemory;
        }
    }
    if (!v->hasRport && sameAddress(*v, srcIp)) return BuildError::Ok;
    if (haveReceived && (!received.hasValue || received.value.empty())) {
        return BuildError::Ok;  // a bare ";received" we leave alone rather than guess
    }
    RangeEdit& e = out[(*count)++];
    if (haveReceived) {
        e.start = msg.offsetOf(received.value);
        e.end = e.start + static_cast<uint32_t>(received.value.size());
        e.text = arenaConcat(msg.arena, srcIp, {});
    } else {
        e.start = e.end = viaEnd;
        e.text = arenaConcat(msg.arena, ";received=", srcIp);
    }
    if (e.text.empty()) return BuildError::OutOfMemory;
    // Sorted by offset for callers that apply them in one pass; at equal offsets the rport
    // edit stays first.
    if (*count == 2 && out[1].start < out[0].start) std::swap(out[0], out[1]);
    return BuildError::Ok;
}

}  // namespace osprey::sip
