// UDP sending, the per-process send batch, and the hand-off to stream transports.
#include "core/net/send.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/stats/core_stats.h"

namespace osprey::net {

namespace {

constexpr unsigned kMaxQueued = 64;

struct Batch {
    bool open = false;
    unsigned count = 0;
    mmsghdr msgs[kMaxQueued];
    int fds[kMaxQueued];
    SockAddr to[kMaxQueued];
};

Batch g_batch;
StreamSender g_streamSender = nullptr;

void logSendError(const SockAddr& to, const char* what, int err) {
    static LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_ERR("cannot send to %s: %s%s%s (%lu similar errors not logged)", toString(to).c_str(),
               what, err != 0 ? ": " : "", err != 0 ? strerror(err) : "",
               static_cast<unsigned long>(skipped));
    }
}

// The UDP socket to send from, or -1 (logged).
int udpFd(const Destination& dest) {
    const int idx = chooseSocket(Proto::Udp, dest.addr.family(), dest.socket);
    const ListenSocket* s = listenSocket(idx);
    if (s == nullptr) {
        logSendError(dest.addr, "no UDP socket of that address family", 0);
        return -1;
    }
    return s->fd;
}

bool sendStream(const Destination& dest, const iovec* iov, unsigned count) {
    if (g_streamSender == nullptr) {
        stats::inc(stats::coreCounter(stats::core::kSendFailures));
        logSendError(dest.addr, config::protoName(dest.proto), ENOPROTOOPT);
        return false;
    }
    const bool ok = g_streamSender(dest, iov, count);
    stats::inc(stats::coreCounter(ok ? stats::core::kSentMessages : stats::core::kSendFailures));
    return ok;
}

}  // namespace

bool send(const Destination& dest, const iovec* iov, unsigned count) {
    if (dest.proto != Proto::Udp) return sendStream(dest, iov, count);
    const int fd = udpFd(dest);
    if (fd < 0) {
        stats::inc(stats::coreCounter(stats::core::kSendFailures));
        return false;
    }
    msghdr mh{};
    mh.msg_name = const_cast<sockaddr*>(&dest.addr.u.sa);
    mh.msg_namelen = dest.addr.len;
    mh.msg_iov = const_cast<iovec*>(iov);
    mh.msg_iovlen = count;
    // Never block a worker on a full send buffer: for UDP a dropped datagram is what the
    // network does anyway, and SIP retransmits.
    ssize_t n;
    do {
        n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        stats::inc(stats::coreCounter(stats::core::kSendFailures));
        logSendError(dest.addr, "sendmsg", errno);
        return false;
    }
    stats::inc(stats::coreCounter(stats::core::kSentMessages));
    return true;
}

bool sendDeferred(const Destination& dest, const iovec* iov, unsigned count) {
    if (!g_batch.open || dest.proto != Proto::Udp) return send(dest, iov, count);
    const int fd = udpFd(dest);
    if (fd < 0) {
        stats::inc(stats::coreCounter(stats::core::kSendFailures));
        return false;
    }
    if (g_batch.count == kMaxQueued) flushBatch();
    const unsigned i = g_batch.count++;
    g_batch.fds[i] = fd;
    g_batch.to[i] = dest.addr;
    msghdr& mh = g_batch.msgs[i].msg_hdr;
    mh = msghdr{};
    mh.msg_name = &g_batch.to[i].u.sa;
    mh.msg_namelen = g_batch.to[i].len;
    mh.msg_iov = const_cast<iovec*>(iov);
    mh.msg_iovlen = count;
    return true;
}

void beginBatch() {
    g_batch.open = true;
}

bool batchOpen() {
    return g_batch.open;
}

void flushBatch() {
    unsigned i = 0;
    while (i < g_batch.count) {
        // One sendmmsg per run of messages on the same socket.
        unsigned run = 1;
        while (i + run < g_batch.count && g_batch.fds[i + run] == g_batch.fds[i]) ++run;
        int n;
        do {
            n = sendmmsg(g_batch.fds[i], &g_batch.msgs[i], run, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        stats::inc(stats::coreCounter(stats::core::kSendBatches));
        if (n <= 0) {
            // The first message failed: count it and go on with the rest of the run.
            stats::inc(stats::coreCounter(stats::core::kSendFailures));
            logSendError(g_batch.to[i], "sendmmsg", errno);
            ++i;
            continue;
        }
        stats::add(stats::coreCounter(stats::core::kSentMessages), static_cast<unsigned>(n));
        i += static_cast<unsigned>(n);
    }
    g_batch.count = 0;
}

void endBatch() {
    flushBatch();
    g_batch.open = false;
}

void setStreamSender(StreamSender sender) {
    g_streamSender = sender;
}


}  // namespace osprey::net
