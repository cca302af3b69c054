// The UDP receive loop of a SIP worker.
#include "core/net/udp_worker.h"

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/proc/child.h"
#include "core/route/dispatch.h"
#include "core/timer/clock.h"

namespace osprey::net {

namespace {

// Receive slots for one batch. The buffers are one anonymous mapping: the kernel backs only
// the pages datagrams actually touch.
class RecvBatch {
public:
    bool init() {
        void* p = mmap(nullptr, kUdpBatch * kMaxDatagram, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return false;
        bufs_ = static_cast<char*>(p);
        for (unsigned i = 0; i < kUdpBatch; ++i) {
            iov_[i].iov_base = bufs_ + i * kMaxDatagram;
            iov_[i].iov_len = kMaxDatagram;
        }
        reset(kUdpBatch);
        return true;
    }
    ~RecvBatch() {
        if (bufs_ != nullptr) munmap(bufs_, kUdpBatch * kMaxDatagram);
    }

    // recvmmsg overwrites the name lengths and flags of the slots it filled; put them back
    // before the next call.
    void reset(unsigned filled) {
        for (unsigned i = 0; i < filled; ++i) {
            msghdr& h = msgs_[i].msg_hdr;
            h = msghdr{};
            h.msg_name = &from_[i];
            h.msg_namelen = sizeof from_[i];
            h.msg_iov = &iov_[i];
            h.msg_iovlen = 1;
            msgs_[i].msg_len = 0;
        }
    }

    int receive(int fd, int flags) { return recvmmsg(fd, msgs_, kUdpBatch, flags, nullptr); }

    // Routes the n datagrams received on socket `index`; the replies and forwards they cause
    // leave in one sendmmsg at the end.
    void route(int n, int index) {
        beginBatch();
        for (int i = 0; i < n; ++i) {
            const msghdr& h = msgs_[i].msg_hdr;
            RecvInfo info;
            info.proto = Proto::Udp;
            info.socket = index;
            if ((h.msg_flags & MSG_TRUNC) != 0 ||
                !info.src.assign(reinterpret_cast<const sockaddr*>(&from_[i]), h.msg_namelen)) {
                dropTruncated(info);
                continue;
            }
            route::onMessage(info, bufs_ + static_cast<size_t>(i) * kMaxDatagram,
                             msgs_[i].msg_len);
        }
        endBatch();
        route::releaseMessages();
        reset(static_cast<unsigned>(n));
    }

private:
    static void dropTruncated(const RecvInfo& info) {
        static LogLimit limit;
        uint64_t skipped = 0;
        if (limit.allow(&skipped)) {
            LM_NOTICE("dropped a datagram from %s: longer than %zu bytes (%lu more not logged)",
                      toString(info.src).c_str(), kMaxDatagram,
                      static_cast<unsigned long>(skipped));
        }
    }

    char* bufs_ = nullptr;
    mmsghdr msgs_[kUdpBatch];
    iovec iov_[kUdpBatch];
    sockaddr_storage from_[kUdpBatch];
};

// Looks at the control signals when the last look is older than the receive timeout, so a
// stop is seen just as soon under load as when idle, without a syscall per batch.
bool keepRunning(int64_t* lastCheck, bool force) {
    const int64_t now = timer::coarseNowMs();
    if (!force && now - *lastCheck < kUdpReceiveTimeoutMs) return !proc::stopRequested();
    *lastCheck = now;
    return proc::handleSignals();
}

void logReceiveError(const char* what) {
    static LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_ERR("%s: %s (%lu more not logged)", what, strerror(errno),
               static_cast<unsigned long>(skipped));
    }
}

int runOneSocket(RecvBatch& batch, int index) {
    const int fd = listenSocket(index)->fd;
    int64_t lastCheck = timer::coarseNowMs();
    while (keepRunning(&lastCheck, false)) {
        const int n = batch.receive(fd, MSG_WAITFORONE);
        if (n > 0) {
            batch.route(n, index);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            logReceiveError("recvmmsg");
        }
        keepRunning(&lastCheck, true);  // the receive timed out: idle, look now
    }
    return 0;
}

int runManySockets(RecvBatch& batch, const std::vector<int>& indexes) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        LM_ERR("epoll_create1: %s", strerror(errno));
        return 1;
    }
    for (int idx : indexes) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;  // one waiting worker woken per datagram
        ev.data.u32 = static_cast<uint32_t>(idx);
        if (epoll_ctl(ep, EPOLL_CTL_ADD, listenSocket(idx)->fd, &ev) != 0) {
            LM_ERR("epoll_ctl(%s): %s", listenSocket(idx)->name.c_str(), strerror(errno));
            return 1;
        }
    }
    epoll_event sig{};
    sig.events = EPOLLIN;
    sig.data.u32 = UINT32_MAX;
    epoll_ctl(ep, EPOLL_CTL_ADD, proc::signalFd(), &sig);

    int64_t lastCheck = timer::coarseNowMs();
    epoll_event evs[16];
    while (keepRunning(&lastCheck, false)) {
        const int n = epoll_wait(ep, evs, 16, kUdpReceiveTimeoutMs);
        if (n <= 0) {
            if (n < 0 && errno != EINTR) logReceiveError("epoll_wait");
            keepRunning(&lastCheck, true);
            continue;
        }
        for (int e = 0; e < n; ++e) {
            if (evs[e].data.u32 == UINT32_MAX) {
                keepRunning(&lastCheck, true);
                continue;
            }
            const int idx = static_cast<int>(evs[e].data.u32);
            // A few batches per wake-up, then the other sockets get their turn.
            for (int round = 0; round < 4; ++round) {
                const int got = batch.receive(listenSocket(idx)->fd, MSG_DONTWAIT);
                if (got <= 0) {
                    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        logReceiveError("recvmmsg");
                    break;
                }
                batch.route(got, idx);
                if (static_cast<unsigned>(got) < kUdpBatch) break;
            }
        }
    }
    close(ep);
    return 0;
}

}  // namespace

int udpWorkerMain(const proc::ChildContext&) {
    std::vector<int> udp;
    for (size_t i = 0; i < listenSockets().size(); ++i) {
        if (listenSockets()[i].proto == Proto::Udp) udp.push_back(static_cast<int>(i));
    }
    RecvBatch batch;
    if (udp.empty() || !batch.init()) {
        LM_ERR("no UDP socket to serve, or no memory for the receive buffers");
        return 1;
    }
    proc::reportReady();
    return udp.size() == 1 ? runOneSocket(batch, udp.front()) : runManySockets(batch, udp);
}

}  // namespace osprey::net
