// The accept loop of tcp-main.
#include "core/net/tcp_acceptor.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/tcp_channel.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_stats.h"
#include "core/net/tls_ip_limits.h"
#include "core/net/tls_stats.h"
#include "core/proc/child.h"

namespace osprey::net {

namespace {

constexpr uint32_t kSignalTag = UINT32_MAX;
constexpr int kAcceptsPerWake = 64;
constexpr int kPauseMs = 100;  // after EMFILE and friends

void logLimited(LogLimit& limit, const char* what, const SockAddr* peer, int err) {
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_NOTICE("%s%s%s%s%s (%lu more not logged)", what, peer ? " from " : "",
                  peer ? toString(*peer).c_str() : "", err ? ": " : "", err ? strerror(err) : "",
                  static_cast<unsigned long>(skipped));
    }
}

class Acceptor {
public:
    bool init() {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) return false;
        for (size_t i = 0; i < listenSockets().size(); ++i) {
            if (listenSockets()[i].proto != Proto::Udp) listeners_.push_back(static_cast<int>(i));
        }
        epoll_event sig{};
        sig.events = EPOLLIN;
        sig.data.u32 = kSignalTag;
        epoll_ctl(ep_, EPOLL_CTL_ADD, proc::signalFd(), &sig);
        return !listeners_.empty() && watch(true);
    }
    ~Acceptor() {
        if (ep_ >= 0) close(ep_);
    }

    int run() {
        epoll_event evs[16];
        while (proc::handleSignals()) {
            const int n = epoll_wait(ep_, evs, 16, paused_ ? kPauseMs : 1000);
            if (paused_) {
                paused_ = false;
                watch(true);
            }
            for (int e = 0; e < n; ++e) {
                if (evs[e].data.u32 == kSignalTag) continue;  // handled by the loop condition
                acceptFrom(static_cast<int>(evs[e].data.u32));
            }
        }
        return 0;
    }

private:
    bool watch(bool on) {
        for (int idx : listeners_) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = static_cast<uint32_t>(idx);
            const int fd = listenSocket(idx)->fd;
            if (on && epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0 && errno != EEXIST) return false;
            if (!on) epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
        }
        return true;
    }

    void acceptFrom(int index) {
        const int lfd = listenSocket(index)->fd;
        for (int k = 0; k < kAcceptsPerWake; ++k) {
            sockaddr_storage ss{};
            socklen_t sl = sizeof ss;
            const int fd =
                accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                static LogLimit limit;
                logLimited(limit, "cannot accept TCP connections for a moment", nullptr, errno);
                if (!paused_) {
                    watch(false);
                    paused_ = true;
                }
                return;
            }
            countTcp(&TcpStats::passiveOpen);
            SockAddr peer;
            if (!peer.assign(reinterpret_cast<sockaddr*>(&ss), sl)) {
                close(fd);
                continue;
            }
            handOff(fd, peer, index);
        }
    }

    void handOff(int fd, const SockAddr& peer, int index) {
        TcpConnTable* t = TcpConnTable::get();
        const unsigned owner = t->leastLoadedWorker();
        const Proto proto = listenSocket(index)->proto;
        TcpConn* c = t->alloc(peer, index, owner, ConnState::Handoff, false, proto);
        if (c == nullptr) {
            countTcp(&TcpStats::localReject);
            static LogLimit limit;
            logLimited(limit, "refused a TCP connection: tcp_max_connections reached", &peer, 0);
            close(fd);
            return;
        }
        if (proto == Proto::Tls && !takeTlsPlace(c, peer)) {
            t->release(c);
            close(fd);
            return;
        }
        // Counted before the hand-off, as Kamailio's tcp_main does: once the worker has the
        // descriptor it may answer the first request before this process runs again, and a
        // statistics read after that answer must find the connection counted.
        countTcp(&TcpStats::established);
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        const ConnId id = c->id.load();
        if (!sendTcpCommand(owner, TcpCommand{TcpCmd::Adopt, id}, fd, true)) {
            static LogLimit limit;
            logLimited(limit, "dropped a TCP connection: its worker does not take it", &peer,
                       errno);
            t->release(c);
        }
        close(fd);  // the worker has its own descriptor now
    }

    // A place in the per-IP budgets of TLS (tls_ip_limits.h), or false (counted, logged).
    static bool takeTlsPlace(const TcpConn* c, const SockAddr& peer) {
        TlsIpLimits* l = TlsIpLimits::get();
        if (l == nullptr) return true;
        switch (l->take(c->ipHash)) {
            case TlsIpLimits::Take::Ok:
                return true;
            case TlsIpLimits::Take::TooManyPending: {
                stats::inc(tlsCounters().pendingPerIpCut);
                static LogLimit limit;
                logLimited(limit, "refused a TLS connection: max_pending_handshakes_per_ip reached",
                           &peer, 0);
                return false;
            }
            case TlsIpLimits::Take::TooManyConnections: {
                stats::inc(tlsCounters().connectionsPerIpCut);
                static LogLimit limit;
                logLimited(limit, "refused a TLS connection: max_connections_per_ip reached", &peer,
                           0);
                return false;
            }
        }
        return false;
    }

    int ep_ = -1;
    bool paused_ = false;
    std::vector<int> listeners_;
};

}  // namespace

int tcpAcceptorMain(const proc::ChildContext&) {
    Acceptor a;
    if (!a.init()) {
        LM_ERR("tcp-main: cannot watch the TCP listen sockets: %s", strerror(errno));
        return 1;
    }
    proc::reportReady();
    return a.run();
}

}  // namespace osprey::net
