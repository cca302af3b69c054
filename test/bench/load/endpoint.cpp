#include "test/bench/load/endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace osprey::load {

bool parseEndpoint(std::string_view text, Endpoint& out) {
    std::string host;
    std::string_view portText;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return false;
        host = std::string(text.substr(1, close - 1));
        portText = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return false;
        host = std::string(text.substr(0, colon));
        portText = text.substr(colon + 1);
    }
    if (portText.empty() || portText.size() > 5) return false;
    int port = 0;
    for (char c : portText) {
        if (c < '0' || c > '9') return false;
        port = port * 10 + (c - '0');
    }
    if (port > 65535) return false;

    out = Endpoint{};
    out.ip = host;
    out.port = port;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        out.len = sizeof(sockaddr_in);
        return true;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        out.len = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

bool isLoopback(const Endpoint& e) {
    if (e.addr.ss_family == AF_INET) {
        auto* v4 = reinterpret_cast<const sockaddr_in*>(&e.addr);
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (e.addr.ss_family == AF_INET6) {
        auto* v6 = reinterpret_cast<const sockaddr_in6*>(&e.addr);
        return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    }
    return false;
}

Endpoint withPort(const Endpoint& e, int port) {
    Endpoint out = e;
    out.port = port;
    if (e.isV6())
        reinterpret_cast<sockaddr_in6*>(&out.addr)->sin6_port = htons(static_cast<uint16_t>(port));
    else
        reinterpret_cast<sockaddr_in*>(&out.addr)->sin_port = htons(static_cast<uint16_t>(port));
    return out;
}

namespace {
// SO_*BUFFORCE lets root exceed net.core.[rw]mem_max; others get what the limit allows.
void enlargeBuffer(int fd, int forceOpt, int opt, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, forceOpt, &bytes, sizeof(bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}
}  // namespace

int openUdpSocket(const Endpoint& local, bool nonBlocking) {
    int fd = socket(local.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    enlargeBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, 16 << 20);
    enlargeBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, 4 << 20);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&local.addr), local.len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (nonBlocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int openServingSocket(const Endpoint& listen, const char* mode) {
    const int fd = openUdpSocket(listen, false);
    if (fd < 0) {
        std::fprintf(stderr, "%s: cannot bind %s: %s\n", mode, listen.uriHostPort().c_str(),
                     std::strerror(errno));
        return -1;
    }
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

int boundPort(int fd) {
    sockaddr_storage a{};
    socklen_t len = sizeof(a);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

}  // namespace osprey::load
