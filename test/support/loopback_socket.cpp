// Loopback sockets shared by the TCP and TLS test peers.
#include "test/support/loopback_socket.h"

#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace osprey::testsupport {

socklen_t loopbackAddress(int family, uint16_t port, sockaddr_storage* ss) {
    *ss = sockaddr_storage{};
    if (family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        return sizeof *a;
    }
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    return sizeof *a;
}

uint16_t localPortOf(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

int connectLoopback(int fd, int family, uint16_t port, int timeoutMs) {
    sockaddr_storage ss;
    const socklen_t len = loopbackAddress(family, port, &ss);
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return 0;
    int err = errno;
    if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        err = poll(&p, 1, timeoutMs) == 1 ? 0 : ETIMEDOUT;
        socklen_t el = sizeof err;
        if (err == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    }
    return err;
}

int listenLoopback(int family, uint16_t port) {
    const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage ss;
    const socklen_t len = loopbackAddress(family, port, &ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 64) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace osprey::testsupport
