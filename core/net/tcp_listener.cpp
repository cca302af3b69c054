// TCP listeners.
#include "core/net/tcp_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/resolve.h"

namespace osprey::net {

namespace {

bool openOne(const config::ListenAddr& la, ListenSocket* out, std::string* error) {
    const std::string name = la.text();
    SockAddr addr;
    if (!resolveHost(la.host, la.port, AF_UNSPEC, &addr)) {
        *error = "cannot resolve the listen address " + name;
        return false;
    }
    const int fd = socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = "cannot create a socket for " + name + ": " + strerror(errno);
        return false;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, &addr.u.sa, addr.len) != 0 || listen(fd, kTcpBacklog) != 0) {
        *error = "cannot bind " + name + ": " + strerror(errno);
        close(fd);
        return false;
    }
    SockAddr bound = addr;
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) == 0)
        bound.assign(reinterpret_cast<sockaddr*>(&ss), sl);
    out->fd = fd;
    describeSocket(bound, la.proto, out);
    return true;
}

}  // namespace

int openTcpListeners(const config::Config& cfg, std::string* error) {
    int opened = 0;
    for (const config::ListenAddr& la : cfg.listen) {
        if (la.proto == Proto::Udp) continue;
        ListenSocket s;
        if (!openOne(la, &s, error)) return -1;
        LM_INFO("listening on %s (advertised as %s)", la.text().c_str(), s.sentBy.c_str());
        addListenSocket(std::move(s));
        ++opened;
    }
    return opened;
}

}  // namespace osprey::net
