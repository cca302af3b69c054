// Next-hop destinations from URIs and Vias.
#include "core/route/next_hop.h"

#include <cstring>

#include "core/dns/dns_settings.h"
#include "core/dns/srv_order.h"
#include "core/net/listen_socket.h"
#include "core/sip/params.h"
#include "core/sip/sip_lex.h"
#include "core/sip/uri.h"
#include "core/sip/via.h"

namespace osprey::route {

namespace {

constexpr uint16_t kSipPort = 5060;
constexpr uint16_t kSipsPort = 5061;

bool transportFromParam(std::string_view t, net::Proto* out) {
    if (t.empty() || sip::lex::equalsNoCase(t, "udp")) {
        *out = net::Proto::Udp;
    } else if (sip::lex::equalsNoCase(t, "tcp")) {
        *out = net::Proto::Tcp;
    } else if (sip::lex::equalsNoCase(t, "tls")) {
        *out = net::Proto::Tls;
    } else {
        return false;
    }
    return true;
}

bool parsePort(std::string_view digits, uint16_t* out) {
    if (digits.empty() || digits.size() > 5) return false;
    unsigned v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    *out = static_cast<uint16_t>(v);
    return true;
}

// The last URI with a numeric host that resolved, per process.
struct LastUri {
    static constexpr size_t kMax = 256;
    char text[kMax];
    size_t len = 0;  // 0: empty
    net::Destination dest;

    bool matches(std::string_view uri) const {
        return len != 0 && uri.size() == len && std::memcmp(uri.data(), text, len) == 0;
    }
    void remember(std::string_view uri, const net::Destination& d) {
        if (uri.size() > kMax) return;
        std::memcpy(text, uri.data(), uri.size());
        len = uri.size();
        dest = d;
    }
};

LastUri g_lastUri;

struct UriHop {
    std::string_view host;
    net::Proto proto = net::Proto::Udp;
    uint16_t port = 0;  // explicit or the transport's default
    bool numeric = false;
    dns::Query query;  // for a name
};

NextHopError parseHop(std::string_view uri, UriHop* hop) {
    sip::SipUri u;
    if (sip::parseUri(uri, u) != sip::UriError::Ok || u.scheme == sip::UriScheme::Tel ||
        u.host.empty()) {
        return NextHopError::BadUri;
    }
    net::Proto proto = net::Proto::Udp;
    if (!transportFromParam(u.transport, &proto)) return NextHopError::BadTransport;
    // RFC 3261 §26.2: sips means TLS all the way (udp is not allowed with it).
    if (u.scheme == sip::UriScheme::Sips && proto != net::Proto::Tls) {
        if (proto == net::Proto::Udp && !u.transport.empty()) return NextHopError::BadTransport;
        proto = net::Proto::Tls;
    }
    // maddr is ignored, as Kamailio does by default: a URI from the network must not steer
    // the proxy's traffic anywhere it likes.
    hop->host = u.host;
    hop->proto = proto;
    hop->port = u.hasPort ? u.port : (proto == net::Proto::Tls ? kSipsPort : kSipPort);
    hop->numeric = u.hostKind == sip::HostKind::Ipv4 || u.hostKind == sip::HostKind::Ipv6;
    if (hop->numeric) return NextHopError::Ok;
    // RFC 3263 §4.1, §4.2: which lookups the URI asks for.
    std::string_view name = u.host;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    hop->query.name = name;
    if (u.hasPort) {
        hop->query.kind = dns::QueryKind::Addr;
    } else if (!u.transport.empty() || u.scheme == sip::UriScheme::Sips) {
        hop->query.kind = proto == net::Proto::Udp   ? dns::QueryKind::SrvUdp
                          : proto == net::Proto::Tcp ? dns::QueryKind::SrvTcp
                                                     : dns::QueryKind::SrvTls;
    } else {
        hop->query.kind = dns::settings().tryNaptr ? dns::QueryKind::Naptr : dns::QueryKind::SrvUdp;
    }
    return NextHopError::Ok;
}

NextHopError dnsError(const dns::Answer& a) {
    return a.failure == dns::Failure::NoName ? NextHopError::Unresolvable : NextHopError::DnsFailed;
}

bool canSend(const dns::Target& t) {
    return net::chooseSocket(t.proto, t.addr.family(), -1) >= 0;
}

}  // namespace

bool targetFits(const dns::Target& t, net::Proto proto, int family) {
    return t.proto == proto && t.addr.family() == family;
}

void awaitNextHop(std::string_view uri, uint32_t waitMs) {
    if (g_lastUri.matches(uri)) return;
    UriHop hop;
    if (parseHop(uri, &hop) != NextHopError::Ok || hop.numeric) return;
    dns::Answer a;
    dns::lookupWait(hop.query, &a, waitMs);
}

bool isSipUri(std::string_view uri) {
    if (g_lastUri.matches(uri)) return true;
    sip::SipUri u;
    return !uri.empty() && sip::parseUri(uri, u) == sip::UriError::Ok &&
           u.scheme != sip::UriScheme::Tel;
}

const char* nextHopErrorText(NextHopError e) {
    switch (e) {
        case NextHopError::Ok:
            return "ok";
        case NextHopError::BadUri:
            return "not a SIP URI";
        case NextHopError::BadTransport:
            return "unsupported transport";
        case NextHopError::Unresolvable:
            return "unresolvable destination";
        case NextHopError::DnsPending:
            return "DNS resolution pending";
        case NextHopError::DnsFailed:
            return "DNS resolution failed";
    }
    return "?";
}

NextHopError nextHopFromUri(std::string_view uri, net::Destination* out, const NextHopDns* dnsOpt) {
    if (g_lastUri.matches(uri)) {
        *out = g_lastUri.dest;
        return NextHopError::Ok;
    }
    UriHop hop;
    const NextHopError pe = parseHop(uri, &hop);
    if (pe != NextHopError::Ok) return pe;
    *out = net::Destination{};
    out->proto = hop.proto;
    if (!hop.numeric && hop.proto == net::Proto::Tls && hop.host.size() < sizeof out->serverName)
        std::memcpy(out->serverName, hop.host.data(), hop.host.size());
    if (hop.numeric) {
        if (!net::parseIp(hop.host, hop.port, out->addr)) return NextHopError::Unresolvable;
        g_lastUri.remember(uri, *out);
        return NextHopError::Ok;
    }
    dns::Answer local;
    dns::Answer& a = dnsOpt != nullptr && dnsOpt->answer != nullptr ? *dnsOpt->answer : local;
    const dns::LookupResult r =
        dns::lookup(hop.query, &a, dnsOpt != nullptr ? dnsOpt->waiter : nullptr,
                    dnsOpt != nullptr ? dnsOpt->onDone : nullptr);
    switch (r) {
        case dns::LookupResult::Hit:
            break;
        case dns::LookupResult::Pending:
            return NextHopError::DnsPending;
        case dns::LookupResult::Failed:
            return dnsError(a);
        case dns::LookupResult::Unavailable:
            return NextHopError::DnsFailed;
    }
    if (dns::settings().srvLb) dns::orderTargets(a.targets, a.count, true, dns::processRandom);
    // An A/AAAA answer's port is the URI's (explicit) one, and so is its transport (the cache
    // keeps address answers without one).
    for (unsigned i = 0; i < a.count; ++i) {
        if (a.targets[i].addr.port() == 0) a.targets[i].addr.setPort(hop.port);
        if (hop.query.kind == dns::QueryKind::Addr) a.targets[i].proto = hop.proto;
    }
    unsigned pick = 0;
    while (pick < a.count && !canSend(a.targets[pick])) ++pick;
    if (pick == a.count) pick = 0;  // none fits: the send reports it
    out->proto = a.targets[pick].proto;
    out->addr = a.targets[pick].addr;
    return NextHopError::Ok;
}

NextHopError nextHopFromVia(const sip::ViaBody& via, net::Destination* out) {
    net::Proto proto;
    switch (via.proto) {
        case sip::ViaTransport::Udp:
            proto = net::Proto::Udp;
            break;
        case sip::ViaTransport::Tcp:
            proto = net::Proto::Tcp;
            break;
        case sip::ViaTransport::Tls:
            proto = net::Proto::Tls;
            break;
        default:
            return NextHopError::BadTransport;
    }
    uint16_t port = via.hasPort ? via.port : (proto == net::Proto::Tls ? kSipsPort : kSipPort);
    uint16_t rport = 0;
    if (parsePort(via.rport, &rport)) port = rport;                          // RFC 3581 §5
    std::string_view host = via.received.empty() ? via.host : via.received;  // §18.2.2
    *out = net::Destination{};
    out->proto = proto;
    // The connection the request came in on (";i=", added when we forwarded it).
    sip::Param id;
    if (proto != net::Proto::Udp && sip::findParam(via.params, "i", &id)) {
        net::ConnId v = 0;
        bool ok = !id.value.empty() && id.value.size() <= 19;  // below 2^63: no overflow
        for (char c : id.value) {
            ok = ok && c >= '0' && c <= '9';
            if (ok) v = v * 10 + static_cast<net::ConnId>(c - '0');
        }
        if (ok) out->connId = v;
    }
    // Without rport the port is the sent-by's, not necessarily the connection's.
    out->connPortKnown = rport != 0;
    if (net::parseIp(host, port, out->addr)) return NextHopError::Ok;
    // A name: the cache only (a reply is not worth waiting for; its retransmission may find
    // the answer).
    dns::Answer a;
    const dns::LookupResult r = dns::lookup(dns::Query{host, dns::QueryKind::Addr}, &a);
    if (r != dns::LookupResult::Hit || a.count == 0) return NextHopError::Unresolvable;
    out->addr = a.targets[0].addr;
    out->addr.setPort(port);
    return NextHopError::Ok;
}

}  // namespace osprey::route
