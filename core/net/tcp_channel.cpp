// The TCP workers' command channels.
#include "core/net/tcp_channel.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace osprey::net {

namespace {

struct Channel {
    int readFd = -1;
    int writeFd = -1;
};

std::vector<Channel> g_channels;  // filled in the master before fork

constexpr int kChannelBufferBytes = 4 << 20;
constexpr int kWaitMs = 500;

}  // namespace

bool createTcpChannels(unsigned workers) {
    closeTcpChannels();
    for (unsigned i = 0; i < workers; ++i) {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) {
            const int err = errno;
            closeTcpChannels();
            errno = err;
            return false;
        }
        int bytes = kChannelBufferBytes;
        // As root the limit of net.core.wmem_max does not apply.
        if (setsockopt(fds[1], SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
            setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
        timeval tv{0, kWaitMs * 1000};
        setsockopt(fds[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        g_channels.push_back(Channel{fds[0], fds[1]});
    }
    return true;
}

void closeTcpChannels() {
    for (Channel& c : g_channels) {
        close(c.readFd);
        close(c.writeFd);
    }
    g_channels.clear();
}

int tcpChannelFd(unsigned worker) {
    return worker < g_channels.size() ? g_channels[worker].readFd : -1;
}

bool sendTcpCommand(unsigned worker, const TcpCommand& c, int fd, bool wait) {
    if (worker >= g_channels.size()) {
        errno = EINVAL;
        return false;
    }
    iovec iov{const_cast<TcpCommand*>(&c), sizeof c};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (fd >= 0) {
        std::memset(control, 0, sizeof control);
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        cmsghdr* cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    }
    ssize_t n;
    do {
        n = sendmsg(g_channels[worker].writeFd, &mh, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof c);
}

bool receiveTcpCommand(int channelFd, TcpCommand* c, int* fd) {
    *fd = -1;
    iovec iov{c, sizeof *c};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    for (;;) {
        const ssize_t n = recvmsg(channelFd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                std::memcpy(fd, CMSG_DATA(cm), sizeof(int));
            }
        }
        if (n == static_cast<ssize_t>(sizeof *c)) return true;
        if (*fd >= 0) close(*fd);  // not one of ours: never happens between our processes
        *fd = -1;
        mh.msg_controllen = sizeof control;
    }
}

}  // namespace osprey::net
