#include "core/config/listen_addr.h"

#include <arpa/inet.h>

namespace osprey::config {

namespace {

bool isHostNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

bool validHostName(std::string_view h) {
    if (h.empty() || h.size() > 253 || h.front() == '.' || h.front() == '-') return false;
    for (char c : h)
        if (!isHostNameChar(c)) return false;
    return true;
}

bool parsePort(std::string_view s, uint16_t& out) {
    if (s.empty() || s.size() > 5) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    out = static_cast<uint16_t>(v);
    return true;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

}  // namespace

const char* protoName(Proto p) {
    switch (p) {
        case Proto::Udp:
            return "udp";
        case Proto::Tcp:
            return "tcp";
        case Proto::Tls:
            return "tls";
    }
    return "?";
}

std::string ListenAddr::text() const {
    std::string s = protoName(proto);
    s += ':';
    if (hostType == HostType::Ipv6) {
        s += '[';
        s += host;
        s += ']';
    } else {
        s += host;
    }
    s += ':';
    s += std::to_string(port);
    return s;
}

bool parseListenAddr(std::string_view text, ListenAddr& out, std::string* why) {
    auto fail = [why](const char* msg) {
        if (why) *why = msg;
        return false;
    };
    ListenAddr a;
    std::string_view rest = text;
    static constexpr struct {
        std::string_view prefix;
        Proto proto;
    } kProtos[] = {{"udp:", Proto::Udp}, {"tcp:", Proto::Tcp}, {"tls:", Proto::Tls}};
    bool hadProto = false;
    for (const auto& p : kProtos) {
        if (startsWithNoCase(rest, p.prefix)) {
            a.proto = p.proto;
            rest.remove_prefix(p.prefix.size());
            hadProto = true;
            break;
        }
    }
    if (!hadProto) {
        // A word before the first ':' that cannot start an address ("sctp:...", "udpx:...")
        // is a protocol we do not know. "host:5060" and unbracketed IPv6 are told apart.
        size_t colon = rest.find(':');
        if (colon != std::string_view::npos && colon > 0) {
            std::string_view word = rest.substr(0, colon);
            bool alpha = true, hex = true;
            for (char c : word) {
                bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                alpha = alpha && letter;
                hex = hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
            }
            bool secondColon = rest.find(':', colon + 1) != std::string_view::npos;
            bool digitAfter =
                colon + 1 < rest.size() && rest[colon + 1] >= '0' && rest[colon + 1] <= '9';
            if (alpha && !(hex && secondColon) && (secondColon || !digitAfter))
                return fail("unknown protocol (expected udp, tcp or tls)");
        }
    }
    a.port = a.proto == Proto::Tls ? 5061 : 5060;
    if (rest.empty()) return fail("missing host");
    std::string_view host;
    std::string_view port;
    if (rest.front() == '[') {
        size_t close = rest.find(']');
        if (close == std::string_view::npos) return fail("IPv6 address without closing ']'");
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("unexpected text after ']'");
            port = after.substr(1);
            if (port.empty()) return fail("missing port after ':'");
        }
        in6_addr tmp;
        if (host.empty() || host.size() >= INET6_ADDRSTRLEN ||
            inet_pton(AF_INET6, std::string(host).c_str(), &tmp) != 1)
            return fail("invalid IPv6 address");
        a.hostType = HostType::Ipv6;
    } else {
        size_t colon = rest.find(':');
        if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos)
            return fail("IPv6 addresses must be written in brackets, e.g. udp:[::1]:5060");
        host = rest.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = rest.substr(colon + 1);
            if (port.empty()) return fail("missing port after ':'");
        }
        in_addr tmp;
        if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
            if (inet_pton(AF_INET, std::string(host).c_str(), &tmp) != 1)
                return fail("invalid IPv4 address");
            a.hostType = HostType::Ipv4;
        } else if (host == "*") {
            host = "0.0.0.0";
            a.hostType = HostType::Ipv4;
        } else {
            if (!validHostName(host)) return fail("invalid host name");
            a.hostType = HostType::Name;
        }
    }
    if (!port.empty() && !parsePort(port, a.port)) return fail("invalid port (1..65535)");
    a.host = std::string(host);
    out = std::move(a);
    return true;
}

}  // namespace osprey::config
