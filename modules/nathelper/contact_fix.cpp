// Contact and Request-URI rewrites for NATed user agents (see contact_fix.h).
#include "modules/nathelper/contact_fix.h"

#include <cstdio>
#include <cstring>

#include "core/log/log.h"
#include "core/net/sock_addr.h"
#include "core/route/msg_context.h"
#include "core/sip/contact.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"

namespace osprey::nathelper {

namespace {

constexpr size_t kMaxUri = 1024;

// A bounded text buffer; overflow is remembered, never written past.
struct Text {
    char data[kMaxUri];
    size_t len = 0;
    bool overflow = false;

    Text& operator<<(std::string_view s) {
        if (overflow || sizeof data - len < s.size()) {
            overflow = true;
            return *this;
        }
        if (!s.empty()) std::memcpy(data + len, s.data(), s.size());
        len += s.size();
        return *this;
    }
    Text& operator<<(unsigned v) {
        char tmp[12];
        const int n = snprintf(tmp, sizeof tmp, "%u", v);
        return *this << std::string_view(tmp, static_cast<size_t>(n));
    }
    std::string_view view() const { return {data, len}; }
};

// Kamailio's transport digits in alias values (its PROTO_* numbers).
char protoDigit(net::Proto p) {
    switch (p) {
        case net::Proto::Udp:
            return '1';
        case net::Proto::Tcp:
            return '2';
        case net::Proto::Tls:
            return '3';
    }
    return '1';
}

std::string_view protoOfDigit(char d) {
    switch (d) {
        case '1':
            return "udp";
        case '2':
            return "tcp";
        case '3':
            return "tls";
        case '4':
            return "sctp";
        case '5':
            return "ws";
        case '6':
            return "wss";
        default:
            return {};
    }
}

std::string_view srcHost(route::MsgContext& mc, char* buf, size_t cap) {
    return {buf, net::formatHost(mc.recv.src, buf, cap)};
}

// The first Contact value (nullptr when absent, "*" or unparsable).
sip::ContactValue* firstContact(sip::SipMsg& msg) {
    sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::Contact);
    if (h == nullptr) return nullptr;
    const sip::ContactBody* b = sip::parseContact(msg, *h);
    return b != nullptr && !b->star ? b->first : nullptr;
}

// Where host[:port] ends inside the URI text.
size_t hostPortEnd(const sip::SipUri& u) {
    size_t end = static_cast<size_t>(u.host.data() - u.text.data()) + u.host.size();
    if (end < u.text.size() && u.text[end] == ':') {
        ++end;
        while (end < u.text.size() && u.text[end] >= '0' && u.text[end] <= '9') ++end;
    }
    return end;
}

// Replaces the Contact's URI with `uri`, adding the angle brackets an addr-spec needs once
// the URI carries parameters.
int replaceContactUri(route::MsgContext& mc, const sip::ContactValue& c, std::string_view uri) {
    Text t;
    if (!c.addr.angled) t << "<";
    t << uri;
    if (!c.addr.angled) t << ">";
    if (t.overflow) return -1;
    const uint32_t off = mc.msg.offsetOf(c.addr.uriText);
    const auto end = static_cast<uint32_t>(off + c.addr.uriText.size());
    if (mc.builder().replaceRange(off, end, t.view()) != sip::BuildError::Ok) {
        LM_ERR("nathelper: the Contact was changed already in this message");
        return -1;
    }
    return 1;
}

// Removes every ";<name>=..." from a URI's parameter part, copying into out.
void appendWithoutParam(Text& out, std::string_view uri, std::string_view name) {
    size_t pos = 0;
    while (pos < uri.size()) {
        const size_t semi = uri.find(';', pos);
        if (semi == std::string_view::npos) {
            out << uri.substr(pos);
            return;
        }
        out << uri.substr(pos, semi - pos);
        size_t next = uri.find_first_of(";?", semi + 1);
        if (next == std::string_view::npos) next = uri.size();
        const std::string_view param = uri.substr(semi + 1, next - semi - 1);
        const bool drop = param.size() > name.size() && param[name.size()] == '=' &&
                          strncasecmp(param.data(), name.data(), name.size()) == 0;
        if (!drop) out << uri.substr(semi, next - semi);
        if (next < uri.size() && uri[next] == '?') {
            out << uri.substr(next);
            return;
        }
        pos = next;
    }
}

void appendAlias(Text& t, std::string_view hostIp, std::string_view port, char proto) {
    t << ";alias=" << hostIp << "~" << port << "~" << std::string_view(&proto, 1);
}

}  // namespace

size_t sourceUri(route::MsgContext& mc, char* out, size_t cap) {
    char host[net::kIpTextMax + 2];
    const std::string_view h = srcHost(mc, host, sizeof host);
    const int n = snprintf(out, cap, "sip:%.*s:%u%s", static_cast<int>(h.size()), h.data(),
                           mc.recv.src.port(),
                           mc.recv.proto == net::Proto::Udp   ? ""
                           : mc.recv.proto == net::Proto::Tcp ? ";transport=tcp"
                                                              : ";transport=tls");
    return n > 0 && static_cast<size_t>(n) < cap ? static_cast<size_t>(n) : 0;
}

int fixNatedContact(route::MsgContext& mc) {
    sip::ContactValue* c = firstContact(mc.msg);
    sip::SipUri u;
    if (c == nullptr || sip::parseUri(c->addr.uriText, u) != sip::UriError::Ok) return -1;
    char host[net::kIpTextMax + 2];
    const size_t hostStart = static_cast<size_t>(u.host.data() - u.text.data());
    Text t;
    t << u.text.substr(0, hostStart) << srcHost(mc, host, sizeof host) << ":"
      << unsigned{mc.recv.src.port()};
    // A maddr would still send elsewhere (RFC 3261 §19.1.1): it goes.
    appendWithoutParam(t, u.text.substr(hostPortEnd(u)), "maddr");
    return t.overflow ? -1 : replaceContactUri(mc, *c, t.view());
}

int setContactAlias(route::MsgContext& mc, bool trim) {
    sip::ContactValue* c = firstContact(mc.msg);
    if (c == nullptr) return -1;
    char host[net::kIpTextMax + 2];
    char port[8];
    const int pn = snprintf(port, sizeof port, "%u", mc.recv.src.port());
    Text t;
    const std::string_view uri = c->addr.uriText;
    const size_t q = uri.find('?');  // URI headers stay last
    const std::string_view head = uri.substr(0, q), tail = q == uri.npos ? "" : uri.substr(q);
    if (trim)
        appendWithoutParam(t, head, "alias");
    else
        t << head;
    appendAlias(t, srcHost(mc, host, sizeof host), {port, static_cast<size_t>(pn)},
                protoDigit(mc.recv.proto));
    t << tail;
    return t.overflow ? -1 : replaceContactUri(mc, *c, t.view());
}

int addContactAliasAddr(route::MsgContext& mc, std::string_view ip, std::string_view port,
                        std::string_view proto) {
    sip::ContactValue* c = firstContact(mc.msg);
    if (c == nullptr) return 2;
    sip::SipUri u;
    if (sip::parseUri(c->addr.uriText, u) != sip::UriError::Ok) return -1;
    char digit = 0;
    for (char d = '1'; d <= '6'; ++d)
        if (strncasecmp(protoOfDigit(d).data(), proto.data(), proto.size()) == 0 &&
            protoOfDigit(d).size() == proto.size())
            digit = d;
    if (digit == 0 || ip.empty() || port.empty()) return -1;
    Text ipb;  // IPv6 goes in brackets, as in a URI host
    if (ip.find(':') != std::string_view::npos && ip.front() != '[')
        ipb << "[" << ip << "]";
    else
        ipb << ip;
    Text t;
    const size_t hp = hostPortEnd(u);
    t << u.text.substr(0, hp);
    appendAlias(t, ipb.view(), port, digit);
    t << u.text.substr(hp);
    return t.overflow ? -1 : replaceContactUri(mc, *c, t.view());
}

int addContactAlias(route::MsgContext& mc) {
    sip::ContactValue* c = firstContact(mc.msg);
    if (c == nullptr) return 2;
    sip::SipUri u;
    if (sip::parseUri(c->addr.uriText, u) != sip::UriError::Ok) return -1;
    net::SockAddr a;
    const std::string_view uProto = u.transport.empty() ? "udp" : u.transport;
    if (net::parseIp(u.host, 0, a) && a.sameIp(mc.recv.src) &&
        mc.recv.src.port() == (u.hasPort ? u.port : 5060) &&
        strncasecmp(uProto.data(), config::protoName(mc.recv.proto), uProto.size()) == 0 &&
        uProto.size() == strlen(config::protoName(mc.recv.proto)))
        return 2;  // the Contact is where the message came from: nothing to remember
    char host[net::kIpTextMax + 2];
    char port[8];
    const int pn = snprintf(port, sizeof port, "%u", mc.recv.src.port());
    return addContactAliasAddr(mc, srcHost(mc, host, sizeof host), {port, static_cast<size_t>(pn)},
                               protoOfDigit(protoDigit(mc.recv.proto)));
}

int handleRuriAlias(route::MsgContext& mc, int mode) {
    if (!mc.msg.isRequest()) return -1;
    const std::string_view ruri = mc.requestUri();
    sip::SipUri u;
    if (sip::parseUri(ruri, u) != sip::UriError::Ok) return -1;
    // The alias parameter: the first, or the last with mode 1.
    std::string_view found;  // "alias=..." inside ruri
    size_t pos = 0;
    while (pos < u.params.size()) {
        size_t end = u.params.find(';', pos);
        if (end == std::string_view::npos) end = u.params.size();
        const std::string_view p = u.params.substr(pos, end - pos);
        if (p.size() > 6 && strncasecmp(p.data(), "alias=", 6) == 0) {
            found = p;
            if (mode == 0) break;
        }
        pos = end + 1;
    }
    if (found.empty()) return 2;
    // ip~port~proto
    const std::string_view v = found.substr(6);
    const size_t t1 = v.find('~');
    const size_t t2 = t1 == v.npos ? v.npos : v.find('~', t1 + 1);
    if (t2 == v.npos || t2 + 2 != v.size()) {
        LM_ERR("nathelper: malformed alias parameter '%.*s'", static_cast<int>(v.size()), v.data());
        return -1;
    }
    const std::string_view ip = v.substr(0, t1), port = v.substr(t1 + 1, t2 - t1 - 1);
    const std::string_view proto = protoOfDigit(v[t2 + 1]);
    if (ip.empty() || port.empty() || proto.empty()) return -1;
    Text du;
    du << "sip:";
    if (ip.find(':') != std::string_view::npos && ip.front() != '[')
        du << "[" << ip << "]";
    else
        du << ip;
    du << ":" << port;
    if (proto != "udp") du << ";transport=" << proto;
    if (du.overflow || !mc.setDstUri(du.view())) return -1;
    // The R-URI without ";alias=...".
    const size_t start = static_cast<size_t>(found.data() - ruri.data()) - 1;  // its ';'
    Text nr;
    nr << ruri.substr(0, start) << ruri.substr(start + 1 + found.size());
    if (nr.overflow || !mc.setRequestUri(nr.view())) return -1;
    return 1;
}

int addRcvParam(route::MsgContext& mc, bool uriParam) {
    if (uriParam && mc.recv.proto != net::Proto::Udp) {
        LM_ERR("nathelper: add_rcv_param(1) works only for UDP");
        return -1;
    }
    char src[96];
    const size_t n = sourceUri(mc, src, sizeof src);
    if (n == 0) return -1;
    const std::string_view s(src, n);
    Text t;
    if (uriParam)
        t << ";received=" << s;
    else
        t << ";received=\"" << s << "\"";
    if (t.overflow) return -1;
    sip::SipMsg& msg = mc.msg;
    int added = 0;
    for (sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::Contact); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        const sip::ContactBody* b = sip::parseContact(msg, *h);
        if (b == nullptr) return -1;
        for (const sip::ContactValue* c = b->first; c != nullptr; c = c->next) {
            const std::string_view at = uriParam ? c->addr.uriText : c->addr.text;
            const auto pos = static_cast<uint32_t>(msg.offsetOf(at) + at.size());
            if (uriParam && !c->addr.angled) {
                // Inside an addr-spec the parameter would be a header parameter: add brackets.
                Text w;
                w << "<" << c->addr.uriText << t.view() << ">";
                const uint32_t off = msg.offsetOf(c->addr.uriText);
                if (w.overflow ||
                    mc.builder().replaceRange(off, pos, w.view()) != sip::BuildError::Ok)
                    return -1;
            } else if (mc.builder().insertAt(pos, t.view()) != sip::BuildError::Ok) {
                return -1;
            }
            ++added;
        }
    }
    return added > 0 ? 1 : -1;
}

}  // namespace osprey::nathelper
