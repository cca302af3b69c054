// Via header parser (RFC 3261 §20.42 and §25.1 via-parm; RFC 3581 rport). Accepts LWS around
// the '/' of sent-protocol and around ':' and ';' (RFC 4475 3.1.1.1).
#include "core/sip/via.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

namespace {

ViaTransport transportOf(std::string_view t) {
    if (tokenIs(t, "udp")) return ViaTransport::Udp;
    if (tokenIs(t, "tcp")) return ViaTransport::Tcp;
    if (tokenIs(t, "tls")) return ViaTransport::Tls;
    if (tokenIs(t, "sctp")) return ViaTransport::Sctp;
    if (tokenIs(t, "ws")) return ViaTransport::Ws;
    if (tokenIs(t, "wss")) return ViaTransport::Wss;
    return ViaTransport::Other;
}

HostKind hostKindOf(HostType t) {
    switch (t) {
        case HostType::Name:
            return HostKind::Name;
        case HostType::Ipv4:
            return HostKind::Ipv4;
        case HostType::Ipv6:
            return HostKind::Ipv6;
        default:
            return HostKind::None;
    }
}

// Parses one via-parm at pos; leaves pos after it (before LWS / ',').
bool parseViaParm(std::string_view s, size_t& pos, ViaBody& v, ParseError& err) {
    auto fail = [&err](ParseErrc c, const char* d, size_t at, std::string_view got = {}) {
        err.code = c;
        err.detail = d;
        err.offset = static_cast<uint32_t>(at);
        err.got = got;
        return false;
    };
    size_t p = pos;
    const size_t start = p;
    std::string_view* parts[3] = {&v.protocol, &v.version, &v.transport};
    int i = 0;
    bool afterSlash = false;
    if (s.size() - p > 8 && foldEquals8(s.data() + p, 0x202020, "sip/2.0/")) {  // usual spelling
        v.protocol = s.substr(p, 3);
        v.version = s.substr(p + 4, 3);
        p += 8;
        i = 2;
        afterSlash = true;
    }
    for (; i < 3; ++i) {
        if (i > 0 && !afterSlash) {
            p = skipLws(s, p);
            if (p >= s.size() || s[p] != '/')
                return fail(ParseErrc::BadValue, "expected '/' in sent-protocol", p);
            p = skipLws(s, p + 1);
        }
        size_t e = scanWhile(s, p, kToken);
        if (e == p) return fail(ParseErrc::BadValue, "expected sent-protocol token", p);
        *parts[i] = s.substr(p, e - p);
        p = e;
    }
    v.proto = transportOf(v.transport);
    size_t hs = skipLws(s, p);
    if (hs == p) return fail(ParseErrc::BadValue, "expected whitespace before sent-by", p);
    HostType ht;
    size_t he = scanClassifyHost(s, hs, ht);
    if (he == hs) return fail(ParseErrc::BadValue, "missing sent-by host", hs);
    v.host = s.substr(hs, he - hs);
    if (ht == HostType::Bad) return fail(ParseErrc::BadValue, "malformed host '%1'", hs, v.host);
    v.hostKind = hostKindOf(ht);
    p = he;
    size_t c = skipLws(s, p);
    if (c < s.size() && s[c] == ':') {
        size_t ps = skipLws(s, c + 1);
        size_t pe = scanWhile(s, ps, kDigit);
        uint32_t port = 0;
        if (pe == ps || parseU32(s.substr(ps, pe - ps), port) != NumResult::Ok || port == 0 ||
            port > 65535)
            return fail(ParseErrc::BadValue, "bad port '%1'", ps, s.substr(ps, pe - ps));
        v.port = static_cast<uint16_t>(port);
        v.hasPort = true;
        p = pe;
    }
    bool ok =
        scanParams(s, p, v.params, err,
                   [&](std::string_view name, std::string_view value, bool hasValue, size_t at) {
                       if (paramIs(name, "branch")) {
                           if (!hasValue)
                               return fail(ParseErrc::BadParam, "branch without value", at);
                           v.branch = value;
                       } else if (paramIs(name, "received")) {
                           if (!hasValue)
                               return fail(ParseErrc::BadParam, "received without value", at);
                           v.received = value;
                       } else if (paramIs(name, "rport")) {
                           v.hasRport = true;
                           uint32_t port = 0;
                           if (hasValue && (parseU32(value, port) != NumResult::Ok || port > 65535))
                               return fail(ParseErrc::BadParam, "bad rport '%1'", at, value);
                           v.rport = value;
                       } else if (paramIs(name, "maddr")) {
                           if (!hasValue)
                               return fail(ParseErrc::BadParam, "maddr without value", at);
                           v.maddr = value;
                       } else if (paramIs(name, "ttl")) {
                           uint32_t ttl = 0;
                           if (!hasValue || parseU32(value, ttl) != NumResult::Ok || ttl > 255)
                               return fail(ParseErrc::BadParam, "bad ttl '%1'", at, value);
                           v.ttl = value;
                       }
                       return true;
                   });
    if (!ok) return false;
    v.text = s.substr(start, p - start);
    pos = p;
    return true;
}

}  // namespace

const ViaBody* parseVia(SipMsg& msg, HeaderField& h) {
    const ViaBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    size_t p = 0;
    ViaBody* first = nullptr;
    ViaBody* last = nullptr;
    for (;;) {
        ViaBody* v = msg.arena.make<ViaBody>();
        if (!v) {
            outOfMemory(msg, h);
            return nullptr;
        }
        ParseError err;
        if (!parseViaParm(s, p, *v, err)) {
            headerFail(msg, h, err);
            return nullptr;
        }
        (last ? last->next : first) = v;
        last = v;
        p = skipLws(s, p);
        if (p >= s.size()) break;
        if (s[p] != ',') {
            headerFail(msg, h, ParseErrc::BadValue, "unexpected '%1' after Via value", p,
                       s.substr(p, 1));
            return nullptr;
        }
        p = skipLws(s, p + 1);
    }
    h.body = first;
    h.state = BodyState::Parsed;
    return first;
}

}  // namespace osprey::sip
