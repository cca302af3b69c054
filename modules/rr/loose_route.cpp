// loose_route (loose_route.h).
#include "modules/rr/loose_route.h"

#include <cstring>

#include "core/net/listen_socket.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/route.h"
#include "core/sip/uri.h"

namespace osprey::rr {

namespace {

constexpr int kRrDriven = 1;
constexpr int kNotRrDriven = -1;
constexpr int kPreloaded = -3;
constexpr unsigned kMaxEntries = 64;  // Route entries looked at; more is refused

// One Route entry (a header line may hold several).
struct Entry {
    sip::HeaderField* h;
    sip::RouteBody* body;
    bool removed;
};

struct RouteSet {
    Entry e[kMaxEntries];
    unsigned n = 0;
};

bool eqNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

bool collect(sip::SipMsg& msg, RouteSet& rs) {
    for (sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::Route); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        // parseRoute hands out its cached list as const; the entries live in msg.arena and
        // nameAddrUri caches the parsed URI in them.
        auto* body = const_cast<sip::RouteBody*>(sip::parseRoute(msg, *h));
        if (body == nullptr) return false;
        for (; body != nullptr; body = body->next) {
            if (rs.n == kMaxEntries) return false;
            rs.e[rs.n++] = Entry{h, body, false};
        }
    }
    return !msg.error;
}

const sip::SipUri* uriOf(sip::SipMsg& msg, Entry& e) {
    const sip::SipUri* u = sip::nameAddrUri(msg, e.body->addr, e.h);
    return u != nullptr && u->scheme != sip::UriScheme::Tel ? u : nullptr;
}

bool hasR2(const sip::SipUri& u) {
    std::string_view v;
    return sip::findUriParam(u.params, "r2", &v) && eqNoCase(v, "on");
}

bool protoOf(const sip::SipUri& u, net::Proto* out) {
    if (u.transport.empty()) {
        *out = u.scheme == sip::UriScheme::Sips ? net::Proto::Tls : net::Proto::Udp;
    } else if (eqNoCase(u.transport, "udp")) {
        *out = net::Proto::Udp;
    } else if (eqNoCase(u.transport, "tcp")) {
        *out = net::Proto::Tcp;
    } else if (eqNoCase(u.transport, "tls")) {
        *out = net::Proto::Tls;
    } else {
        return false;
    }
    return true;
}

// §16.12 / §16.6 step 6: the next hop is a strict router. The Request-URI goes to the end of
// the route set and the entry becomes the Request-URI.
bool toStrictRouter(route::MsgContext& mc, Entry& next) {
    const std::string_view ruri = mc.requestUri();
    char* v = static_cast<char*>(mc.msg.arena.alloc(ruri.size() + 2));
    if (v == nullptr) return false;
    v[0] = '<';
    std::memcpy(v + 1, ruri.data(), ruri.size());
    v[ruri.size() + 1] = '>';
    if (mc.builder().appendHeader("Route", std::string_view(v, ruri.size() + 2)) !=
        sip::BuildError::Ok)
        return false;
    if (!mc.setRequestUri(next.body->addr.uriText)) return false;
    next.removed = true;
    return true;
}

// Previous hop was a strict router: the Request-URI is our Record-Route URI.
int afterStrict(route::MsgContext& mc, RouteSet& rs, bool doubleRr) {
    sip::SipMsg& msg = mc.msg;
    unsigned i = 0;
    const sip::SipUri* top = uriOf(msg, rs.e[0]);
    if (top == nullptr) return kNotRrDriven;
    if (doubleRr && hasR2(*top) && isMyRouteUri(*top)) {
        // Our other entry of a double Record-Route: copies leave from the interface it names.
        if (const int s = socketForUri(*top); s >= 0) mc.forceSocket = s;
        rs.e[0].removed = true;
        if (++i == rs.n) return kNotRrDriven;
    }
    Entry& next = rs.e[i];
    const sip::SipUri* nu = uriOf(msg, next);
    if (nu == nullptr) return kNotRrDriven;
    if (!nu->lr) {
        // Strict after strict: the Request-URI (ours) is not worth saving; the remote target
        // is already the last Route.
        if (!mc.setRequestUri(next.body->addr.uriText)) return kNotRrDriven;
        next.removed = true;
        return kRrDriven;
    }
    // A loose router next: it is the destination, and the last Route is the remote target the
    // strict router moved there.
    if (i + 1 >= rs.n) return kNotRrDriven;
    Entry& last = rs.e[rs.n - 1];
    if (uriOf(msg, last) == nullptr) return kNotRrDriven;
    if (!mc.setDstUri(next.body->addr.uriText)) return kNotRrDriven;
    if (!mc.setRequestUri(last.body->addr.uriText)) return kNotRrDriven;
    last.removed = true;
    return kRrDriven;
}

int afterLoose(route::MsgContext& mc, RouteSet& rs, bool doubleRr, bool preloaded,
               LooseRouteResult* r) {
    sip::SipMsg& msg = mc.msg;
    unsigned i = 0;
    const sip::SipUri* top = uriOf(msg, rs.e[0]);
    if (top == nullptr) return kNotRrDriven;
    if (isMyRouteUri(*top)) {
        r->ours = true;
        // The parameters with their leading ';' (Kamailio matches check_route_param on that).
        if (!top->params.empty()) r->ownParams = {top->params.data() - 1, top->params.size() + 1};
        rs.e[0].removed = true;
        if (++i == rs.n) return preloaded ? kPreloaded : kRrDriven;
        if (doubleRr && hasR2(*top)) {
            const sip::SipUri* second = uriOf(msg, rs.e[1]);
            if (second != nullptr && isMyRouteUri(*second)) {
                if (const int s = socketForUri(*second); s >= 0) mc.forceSocket = s;
                rs.e[1].removed = true;
                if (++i == rs.n) return preloaded ? kPreloaded : kRrDriven;
            }
        }
    }
    Entry& next = rs.e[i];
    const sip::SipUri* nu = uriOf(msg, next);
    if (nu == nullptr) return kNotRrDriven;
    if (!nu->lr) return toStrictRouter(mc, next) ? kRrDriven : kNotRrDriven;
    return mc.setDstUri(next.body->addr.uriText) ? kRrDriven : kNotRrDriven;
}

uint32_t startOf(const sip::SipMsg& msg, const Entry& e) {
    return msg.offsetOf(e.body->addr.text);
}
uint32_t endOf(const sip::SipMsg& msg, const Entry& e) {
    return startOf(msg, e) + static_cast<uint32_t>(e.body->addr.text.size());
}

// Removes the marked entries from the forwarded copy: a line whose entries all go is removed
// whole; otherwise each run of removed entries goes with the comma that joins it to a kept one
// (so that runs never touch the same octets).
bool applyRemovals(route::MsgContext& mc, RouteSet& rs) {
    const sip::SipMsg& msg = mc.msg;
    unsigned i = 0;
    while (i < rs.n) {
        unsigned j = i;
        bool any = false, all = true;
        for (; j < rs.n && rs.e[j].h == rs.e[i].h; ++j) {
            any = any || rs.e[j].removed;
            all = all && rs.e[j].removed;
        }
        if (all) {
            if (mc.builder().removeHeader(*rs.e[i].h) != sip::BuildError::Ok) return false;
        } else if (any) {
            for (unsigned k = i; k < j;) {
                if (!rs.e[k].removed) {
                    ++k;
                    continue;
                }
                const unsigned a = k;
                while (k < j && rs.e[k].removed) ++k;
                // [a, k) removed; a kept entry follows, or (at the end) precedes it.
                const uint32_t start = k < j ? startOf(msg, rs.e[a]) : endOf(msg, rs.e[a - 1]);
                const uint32_t end = k < j ? startOf(msg, rs.e[k]) : endOf(msg, rs.e[k - 1]);
                if (mc.builder().removeRange(start, end) != sip::BuildError::Ok) return false;
            }
        }
        i = j;
    }
    return true;
}

}  // namespace

bool isMyRouteUri(const sip::SipUri& uri) {
    if (uri.scheme == sip::UriScheme::Tel || !route::isMyselfUri(uri)) return false;
    if (uri.transport.empty()) return true;
    net::Proto proto;
    if (!protoOf(uri, &proto)) return false;
    const auto sockets = net::listenSockets();
    if (sockets.empty()) return true;  // nothing to compare against (no listeners opened)
    for (const net::ListenSocket& s : sockets) {
        if (s.proto == proto) return true;
    }
    return false;
}

int socketForUri(const sip::SipUri& uri) {
    net::Proto proto;
    if (!protoOf(uri, &proto)) return -1;
    const uint16_t port = uri.hasPort ? uri.port : (proto == net::Proto::Tls ? 5061 : 5060);
    net::SockAddr addr;
    const bool isIp = net::parseIp(uri.host, port, addr);
    const auto sockets = net::listenSockets();
    for (size_t i = 0; i < sockets.size(); ++i) {
        const net::ListenSocket& s = sockets[i];
        if (s.proto != proto || s.port != port) continue;
        if ((isIp && !s.wildcard && s.bound.sameIp(addr)) || eqNoCase(s.host, uri.host))
            return static_cast<int>(i);
    }
    return -1;
}

LooseRouteResult looseRoute(route::MsgContext& mc, bool doubleRr) {
    LooseRouteResult r;
    sip::SipMsg& msg = mc.msg;
    if (!msg.isRequest()) return r;
    RouteSet rs;
    if (!collect(msg, rs) || rs.n == 0) return r;
    const sip::SipUri* ruri = sip::requestUri(msg);
    const sip::FromToBody* to = sip::getTo(msg);
    if (ruri == nullptr || to == nullptr) return r;
    const bool preloaded = to->tag.empty();
    if (!preloaded && route::isMyselfUri(*ruri)) {
        r.code = afterStrict(mc, rs, doubleRr);
    } else {
        r.code = afterLoose(mc, rs, doubleRr, preloaded, &r);
    }
    if ((r.code == kRrDriven || r.code == kPreloaded) && !applyRemovals(mc, rs)) {
        r.code = kNotRrDriven;
    }
    return r;
}

}  // namespace osprey::rr
