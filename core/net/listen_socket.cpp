// Opening the UDP listeners and the socket table.
#include "core/net/listen_socket.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log/log.h"
#include "core/net/resolve.h"

namespace osprey::net {

namespace {

// Filled in the master before fork, read by every worker per message.
std::vector<ListenSocket> g_table;

std::vector<ListenSocket>& table() {
    return g_table;
}

// The address a wildcard listener advertises in Via: the first non-loopback address of the
// family, else the loopback one. (Messages to another interface still reach it; replies to
// our Via come back to this address.)
bool wildcardAddress(int family, SockAddr* out) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return false;
    bool found = false;
    SockAddr loop;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family) continue;
        SockAddr a;
        if (!a.assign(i->ifa_addr, family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)))
            continue;
        if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a.u.v6.sin6_addr)) continue;
        const bool loopback = family == AF_INET
                                  ? (ntohl(a.u.v4.sin_addr.s_addr) >> 24) == 127
                                  : IN6_IS_ADDR_LOOPBACK(&a.u.v6.sin6_addr);
        if (loopback) {
            if (!loop.valid()) loop = a;
            continue;
        }
        *out = a;
        found = true;
        break;
    }
    freeifaddrs(list);
    if (!found && loop.valid()) {
        *out = loop;
        found = true;
    }
    return found;
}

void setBuffer(int fd, int opt, const char* what, const std::string& name) {
    int want = kUdpBufferBytes;
    if (setsockopt(fd, SOL_SOCKET, opt, &want, sizeof want) != 0) {
        LM_WARN("%s: cannot set %s: %s", name.c_str(), what, strerror(errno));
    }
    int got = 0;
    socklen_t len = sizeof got;
    getsockopt(fd, SOL_SOCKET, opt, &got, &len);
    LM_DBG("%s: %s is %d bytes", name.c_str(), what, got);
}

bool openUdp(const config::ListenAddr& la, ListenSocket* out, std::string* error) {
    const std::string name = la.text();
    SockAddr addr;
    if (!resolveHost(la.host, la.port, AF_UNSPEC, &addr)) {
        *error = "cannot resolve the listen address " + name;
        return false;
    }
    int fd = socket(addr.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = "cannot create a socket for " + name + ": " + strerror(errno);
        return false;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // [::] and 0.0.0.0 may both be configured: keep the IPv6 socket to IPv6.
    if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, &addr.u.sa, addr.len) != 0) {
        *error = "cannot bind " + name + ": " + strerror(errno);
        close(fd);
        return false;
    }
    SockAddr bound;
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0 ||
        !bound.assign(reinterpret_cast<sockaddr*>(&ss), sl)) {
        bound = addr;
    }
    setBuffer(fd, SO_RCVBUF, "SO_RCVBUF", name);
    setBuffer(fd, SO_SNDBUF, "SO_SNDBUF", name);
    // Workers block in recvmmsg on this socket (all of them on the same one: the kernel hands
    // each datagram to one waiter). The timeout bounds how late an idle worker sees a stop.
    timeval tv{0, kUdpReceiveTimeoutMs * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    out->fd = fd;
    describeSocket(bound, Proto::Udp, out);
    return true;
}

}  // namespace

void describeSocket(const SockAddr& bound, Proto proto, ListenSocket* out) {
    out->proto = proto;
    out->bound = bound;
    out->wildcard = bound.isAny();
    out->port = bound.port();
    SockAddr shown = bound;
    if (out->wildcard && !wildcardAddress(bound.family(), &shown)) shown = bound;
    char host[kIpTextMax + 2];
    size_t n = formatHost(shown, host, sizeof host);
    out->host.assign(host, n);
    out->sentBy = out->host + ":" + std::to_string(out->port);
    const char* upper = proto == Proto::Udp ? "UDP" : proto == Proto::Tcp ? "TCP" : "TLS";
    out->viaPrefix = std::string("Via: SIP/2.0/") + upper + " " + out->sentBy + ";branch=";
    out->name = std::string(config::protoName(proto)) + ":" + out->sentBy;
}

bool openUdpSockets(const config::Config& cfg, std::string* error) {
    for (const config::ListenAddr& la : cfg.listen) {
        if (la.proto != Proto::Udp) continue;
        ListenSocket s;
        if (!openUdp(la, &s, error)) {
            closeListenSockets();
            return false;
        }
        LM_INFO("listening on %s (advertised as %s)", la.text().c_str(), s.sentBy.c_str());
        table().push_back(std::move(s));
    }
    return true;
}

int addListenSocket(ListenSocket s) {
    table().push_back(std::move(s));
    return static_cast<int>(table().size() - 1);
}

std::span<const ListenSocket> listenSockets() {
    return table();
}

const ListenSocket* listenSocket(int index) {
    if (index < 0 || static_cast<size_t>(index) >= table().size()) return nullptr;
    return &table()[static_cast<size_t>(index)];
}

size_t udpSocketCount() {
    size_t n = 0;
    for (const ListenSocket& s : table()) n += s.proto == Proto::Udp;
    return n;
}

int chooseSocket(Proto proto, int family, int preferred) {
    const std::vector<ListenSocket>& t = table();
    auto fits = [&](const ListenSocket& s) {
        return s.proto == proto && s.bound.family() == family;
    };
    if (const ListenSocket* p = listenSocket(preferred); p != nullptr && fits(*p)) return preferred;
    for (size_t i = 0; i < t.size(); ++i) {
        if (fits(t[i])) return static_cast<int>(i);
    }
    return -1;
}

void closeListenSockets() {
    for (ListenSocket& s : table()) {
        if (s.fd >= 0) close(s.fd);
    }
    table().clear();
}

}  // namespace osprey::net
