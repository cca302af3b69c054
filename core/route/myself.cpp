// The "myself" address set.
#include "core/route/myself.h"

#include <ifaddrs.h>

#include <string>
#include <vector>

#include "core/net/listen_socket.h"
#include "core/net/sock_addr.h"
#include "core/sip/sip_lex.h"
#include "core/sip/uri.h"

namespace osprey::route {

namespace {

struct IpEntry {
    net::SockAddr addr;  // port included
    bool anyPort = false;  // an address alias written without a port
};

struct NameEntry {
    std::string name;    // lower case
    uint16_t port = 0;   // 0: any
};

std::vector<IpEntry> g_ips;
std::vector<NameEntry> g_names;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Every address of the interfaces in `family` (what a wildcard listener answers on).
void addInterfaceAddresses(int family, uint16_t port) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family) continue;
        IpEntry e;
        if (!e.addr.assign(i->ifa_addr, family == AF_INET ? sizeof(sockaddr_in)
                                                          : sizeof(sockaddr_in6)))
            continue;
        e.addr.setPort(port);
        g_ips.push_back(e);
    }
    freeifaddrs(list);
}

void addListen(config::HostType type, std::string_view host, uint16_t port) {
    net::SockAddr a;
    if (type != config::HostType::Name && net::parseIp(host, port, a)) {
        if (a.isAny())
            addInterfaceAddresses(a.family(), port);
        else
            g_ips.push_back(IpEntry{a, false});
        return;
    }
    g_names.push_back(NameEntry{lower(host), port});
}

// "example.com", "example.com:5080", "[::1]:5060", "192.0.2.1".
void addAlias(std::string_view text) {
    std::string_view host = text;
    uint16_t port = 0;
    size_t colon = text.rfind(':');
    const bool bracketed = !text.empty() && text.front() == '[';
    if (colon != std::string_view::npos &&
        (bracketed ? colon > 0 && text[colon - 1] == ']' : text.find(':') == colon)) {
        unsigned v = 0;
        std::string_view digits = text.substr(colon + 1);
        bool ok = !digits.empty() && digits.size() <= 5;
        for (char c : digits) {
            ok = ok && c >= '0' && c <= '9';
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (ok && v > 0 && v < 65536) {
            host = text.substr(0, colon);
            port = static_cast<uint16_t>(v);
        }
    }
    net::SockAddr a;
    if (net::parseIp(host, port, a)) {
        g_ips.push_back(IpEntry{a, port == 0});
        return;
    }
    g_names.push_back(NameEntry{lower(host), port});
}

}  // namespace

void buildMyself(const config::Config& cfg) {
    g_ips.clear();
    g_names.clear();
    for (const config::ListenAddr& la : cfg.listen) {
        if (la.port != 0) addListen(la.hostType, la.host, la.port);
    }
    // Sockets bound to a port the config left to the kernel.
    for (const net::ListenSocket& s : net::listenSockets()) {
        if (s.wildcard)
            addInterfaceAddresses(s.bound.family(), s.port);
        else
            g_ips.push_back(IpEntry{s.bound, false});
    }
    for (const std::string& alias : cfg.aliases) addAlias(alias);
}

bool isMyself(std::string_view host, uint16_t port) {
    if (host.empty()) return false;
    net::SockAddr a;
    if (net::parseIp(host, 0, a)) {
        for (const IpEntry& e : g_ips) {
            if (e.addr.sameIp(a) && (port == 0 || e.anyPort || e.addr.port() == port))
                return true;
        }
        return false;
    }
    for (const NameEntry& n : g_names) {
        if (sip::lex::equalsNoCase(host, n.name) && (port == 0 || n.port == 0 || n.port == port)) return true;
    }
    return false;
}

bool isMyselfUri(const sip::SipUri& uri) {
    if (uri.scheme == sip::UriScheme::Tel) return false;
    return isMyself(uri.host, uri.hasPort ? uri.port : 0);
}

}  // namespace osprey::route
