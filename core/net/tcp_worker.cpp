// The TCP worker loop.
#include "core/net/tcp_worker.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/tcp_channel.h"
#include "core/net/tcp_owner.h"
#include "core/net/tcp_settings.h"
#include "core/proc/child.h"
#include "core/timer/clock.h"

namespace osprey::net {

namespace {

constexpr uint64_t kSignalTag = UINT64_MAX;
constexpr uint64_t kChannelTag = UINT64_MAX - 1;
constexpr int kEvents = 64;
constexpr int kCommandsPerWake = 256;

void drainChannel(TcpOwner& owner, int channel) {
    TcpCommand c;
    int fd;
    for (int k = 0; k < kCommandsPerWake && receiveTcpCommand(channel, &c, &fd); ++k) {
        switch (c.cmd) {
            case TcpCmd::Adopt:
                if (fd >= 0) owner.adopt(c.connId, fd);
                break;
            case TcpCmd::Connect:
                owner.startConnect(c.connId);
                break;
            case TcpCmd::Wake:
                owner.onWake(c.connId);
                break;
        }
        if (c.cmd != TcpCmd::Adopt && fd >= 0) close(fd);
    }
}

bool watch(int ep, int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

}  // namespace

int tcpWorkerMain(const proc::ChildContext& self) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    const int channel = tcpChannelFd(self.index);
    TcpOwner owner;
    if (ep < 0 || channel < 0 || !owner.init(self.index, ep, tcpSettings()) ||
        !watch(ep, proc::signalFd(), kSignalTag) || !watch(ep, channel, kChannelTag)) {
        LM_ERR("cannot set up the TCP worker: %s", strerror(errno));
        if (ep >= 0) close(ep);
        return 1;
    }
    owner.releaseStale();
    setTcpOwner(&owner);
    proc::reportReady();

    epoll_event evs[kEvents];
    int64_t lastSweep = timer::coarseNowMs();
    while (!proc::stopRequested()) {
        const int n = epoll_wait(ep, evs, kEvents, kTcpSweepMs);
        if (n < 0 && errno != EINTR) {
            LM_ERR("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int e = 0; e < n; ++e) {
            const uint64_t tag = evs[e].data.u64;
            if (tag == kSignalTag) {
                proc::handleSignals();
            } else if (tag == kChannelTag) {
                drainChannel(owner, channel);
            } else {
                owner.onEvent(static_cast<uint32_t>(tag), evs[e].events);
            }
        }
        const int64_t now = timer::coarseNowMs();
        if (now - lastSweep >= kTcpSweepMs) {
            lastSweep = now;
            owner.sweep(now);
            proc::handleSignals();  // also notices a master that is gone
        }
    }
    owner.closeAll();
    setTcpOwner(nullptr);
    close(ep);
    return 0;
}

}  // namespace osprey::net
