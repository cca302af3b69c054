// SipTcpConn, SipTcpListener.
#include "test/support/sip_tcp_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/timer/clock.h"
#include "test/support/loopback_socket.h"

namespace osprey::testsupport {

SipTcpConn::SipTcpConn(uint16_t port, int family, int timeoutMs) : family_(family) {
    fd_ = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    int on = 1;  // what a test writes leaves at once, in pieces as small as it wrote them
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (connectLoopback(fd_, family, port, timeoutMs) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
    }
    localPort_ = localPortOf(fd_);
}

std::unique_ptr<SipTcpConn> SipTcpConn::adopt(int fd) {
    std::unique_ptr<SipTcpConn> c(new SipTcpConn());
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd_ = fd;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    c->family_ = ss.ss_family;
    c->localPort_ = localPortOf(fd);
    return c;
}

SipTcpConn::~SipTcpConn() {
    close();
}

void SipTcpConn::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::string SipTcpConn::localHostPort() const {
    return (family_ == AF_INET6 ? "[::1]:" : "127.0.0.1:") + std::to_string(localPort_);
}

bool SipTcpConn::send(std::string_view text, int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    while (!text.empty()) {
        const ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
        if (n > 0) {
            text.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
        pollfd p{fd_, POLLOUT, 0};
        if (poll(&p, 1, remainingMs(deadline)) != 1) return false;
    }
    return true;
}

bool SipTcpConn::fill(int timeoutMs) {
    if (fd_ < 0 || inbox_.eof()) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) != 1) return false;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
        inbox_.append(buf, static_cast<size_t>(n));
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    inbox_.setEof();
    return false;
}

std::unique_ptr<ReceivedMsg> SipTcpConn::receiveMsg(int timeoutMs) {
    return inbox_.receiveMsg(fill_, timeoutMs);
}

std::unique_ptr<ReceivedMsg> SipTcpConn::receiveCall(std::string_view callId, int timeoutMs) {
    return inbox_.receiveCall(fill_, callId, timeoutMs);
}

std::string SipTcpConn::receiveRaw(size_t min, int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    while (inbox_.size() < min && fill(remainingMs(deadline))) {
    }
    return inbox_.take();
}

bool SipTcpConn::waitClosed(int timeoutMs) {
    return inbox_.waitEof(fill_, timeoutMs);
}

SipTcpListener::SipTcpListener(int family, uint16_t port) {
    fd_ = listenLoopback(family, port);
    if (fd_ >= 0) port_ = localPortOf(fd_);
}

SipTcpListener::~SipTcpListener() {
    if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<SipTcpConn> SipTcpListener::accept(int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) != 1) return nullptr;
    const int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return nullptr;
    return SipTcpConn::adopt(fd);
}

std::string buildTcpRequest(const SipTcpConn& from, SipRequest& r) {
    if (r.via.empty()) {
        r.via =
            "SIP/2.0/TCP " + from.localHostPort() + ";branch=" + uniqueToken("z9hG4bK") + ";rport";
    }
    static SipPeer unused;  // buildRequest's default Via needs one; ours is set above
    return buildRequest(unused, r);
}

uint64_t raiseOpenFiles(uint64_t n) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < n) {
        rl.rlim_cur = rl.rlim_max < n ? rl.rlim_max : n;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

}  // namespace osprey::testsupport
