// TcpOwner: the owner's side of its connections.
#include "core/net/tcp_owner.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_stats.h"
#include "core/net/tcp_wq_budget.h"
#include "core/net/tls_session.h"
#include "core/route/dispatch.h"
#include "core/timer/clock.h"

namespace osprey::net {

namespace {

TcpOwner* g_owner = nullptr;

constexpr size_t kScratchBytes = 64 * 1024;

// Routes each framed message of one read, in order; answers keep-alive pings (RFC 5626
// §3.5.1: "\r\n\r\n" gets "\r\n").
struct RouteSink {
    TcpOwner* owner;
    OwnedConn* oc;
    TcpConn* shared;
    unsigned framed = 0;

    bool alive() const { return shared->closeRequested.load(std::memory_order_relaxed) == 0; }
    bool onMessage(char* data, size_t len) {
        RecvInfo info;
        info.proto = oc->tls != nullptr ? Proto::Tls : Proto::Tcp;
        info.src = oc->peer;
        info.socket = oc->socket;
        info.connId = oc->id;
        ++framed;
        route::onMessage(info, data, len);
        return alive();
    }
    bool onPing() {
        static const char kPong[] = "\r\n";
        Destination d;
        d.proto = oc->tls != nullptr ? Proto::Tls : Proto::Tcp;
        d.addr = oc->peer;
        d.socket = oc->socket;
        d.connId = oc->id;
        iovec iov{const_cast<char*>(kPong), 2};
        send(d, &iov, 1);
        return alive();
    }
};

void logClose(log::Level lvl, const OwnedConn& oc, const char* why) {
    static LogLimit limit;
    uint64_t skipped = 0;
    if (!log::enabled(lvl)) return;
    if (lvl <= log::Level::Notice && !limit.allow(&skipped)) return;
    char more[48] = "";
    if (skipped != 0) snprintf(more, sizeof more, " (%lu more not logged)", (unsigned long)skipped);
    LM_LOG(lvl, "closing TCP connection %llu with %s: %s%s", static_cast<unsigned long long>(oc.id),
           toString(oc.peer).c_str(), why, more);
}

constexpr log::Level kInfo = log::Level::Info;
constexpr log::Level kNotice = log::Level::Notice;
constexpr log::Level kDebug = log::Level::Debug;

}  // namespace

TcpOwner* tcpOwner() {
    return g_owner;
}

void setTcpOwner(TcpOwner* owner) {
    g_owner = owner;
}

bool TcpOwner::init(unsigned worker, int epollFd, const TcpSettings& settings) {
    TcpConnTable* t = TcpConnTable::get();
    if (t == nullptr) return false;
    worker_ = worker;
    epollFd_ = epollFd;
    settings_ = settings;
    capacity_ = t->capacity();
    conns_.reset(new OwnedConn[capacity_]);
    active_.reserve(capacity_);
    scratch_.resize(kScratchBytes);
    if (TcpStats* st = tcpStats()) st->partialBytes[worker_].store(0, std::memory_order_relaxed);
    return true;
}

void TcpOwner::releaseStale() {
    TcpConnTable* t = TcpConnTable::get();
    unsigned n = 0;
    for (uint32_t i = 0; i < capacity_; ++i) {
        TcpConn* c = t->slot(i);
        bool stale;
        {
            mem::LockGuard g(c->lock);
            stale = c->state != ConnState::Free && c->owner == worker_;
        }
        if (stale) {
            t->release(c);
            ++n;
        }
    }
    if (n != 0) LM_NOTICE("released %u TCP connections left by this worker's predecessor", n);
}

OwnedConn* TcpOwner::find(ConnId id) {
    const uint32_t slot = connSlot(id);
    if (id == 0 || slot >= capacity_) return nullptr;
    OwnedConn& oc = conns_[slot];
    return oc.fd >= 0 && oc.id == id ? &oc : nullptr;
}

void TcpOwner::setupOwned(uint32_t slot, ConnId id, int fd, const TcpConn& c, bool connecting) {
    OwnedConn& oc = conns_[slot];
    oc.fd = fd;
    oc.id = id;
    oc.peer = c.peer;
    oc.socket = c.socket;
    oc.input.reset(settings_.maxMessage);
    oc.lastActivityMs = timer::coarseNowMs();
    oc.connectStartMs = oc.lastActivityMs;
    oc.progress.reset(oc.lastActivityMs);
    oc.partialCharged = 0;
    oc.partialSince = 0;
    oc.connecting = connecting;
    oc.writeArmed = connecting;
    oc.tls = nullptr;
    oc.tlsPending = false;
    oc.tlsIpPlace = false;
    oc.ipHash = c.ipHash;
    oc.activeIndex = static_cast<uint32_t>(active_.size());
    active_.push_back(slot);
    if (settings_.sendBuffer != 0) {
        // Bounds what a peer that stops reading pins in the kernel (which the kernel otherwise
        // grows to tcp_wmem's maximum, megabytes, per connection).
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &settings_.sendBuffer, sizeof settings_.sendBuffer);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (connecting ? uint32_t{EPOLLOUT} : 0u);
    ev.data.u64 = slot;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev);
}

void TcpOwner::adopt(ConnId id, int fd) {
    TcpConnTable* t = TcpConnTable::get();
    ConnRef ref = t->lockById(id);
    if (!ref || ref.conn->owner != worker_ || ref.conn->state != ConnState::Handoff ||
        connSlot(id) >= capacity_ || conns_[connSlot(id)].fd >= 0) {
        ::close(fd);
        return;
    }
    ref.conn->state = ConnState::Open;
    const uint32_t slot = connSlot(id);
    setupOwned(slot, id, fd, *ref.conn, false);
    const bool queued = !ref.conn->queue.empty();
    const bool tls = ref.conn->proto == Proto::Tls;
    ref.guard.unlock();
    LM_DBG("TCP connection %llu from %s", static_cast<unsigned long long>(id),
           toString(conns_[slot].peer).c_str());
    if (tls) {
        conns_[slot].tlsPending = true;  // tcp-main took a handshake and a connection place
        conns_[slot].tlsIpPlace = true;
        startTls(slot, conns_[slot], true, nullptr);
        return;
    }
    if (queued) flush(slot, conns_[slot]);
}

void TcpOwner::startConnect(ConnId id) {
    TcpConnTable* t = TcpConnTable::get();
    const uint32_t slot = connSlot(id);
    ConnRef ref = t->lockById(id);
    if (!ref || ref.conn->owner != worker_ || ref.conn->state != ConnState::Connecting ||
        slot >= capacity_ || conns_[slot].fd >= 0) {
        return;
    }
    TcpConn* c = ref.conn;
    const SockAddr peer = c->peer;
    const int fd = socket(peer.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        // Leave from the address our Via names (the port is the kernel's choice).
        const ListenSocket* ls = listenSocket(c->socket);
        if (ls != nullptr && !ls->wildcard && ls->bound.family() == peer.family()) {
            SockAddr local = ls->bound;
            local.setPort(0);
            if (bind(fd, &local.u.sa, local.len) != 0) err = errno;
        }
        if (err == 0 && connect(fd, &peer.u.sa, peer.len) != 0 && errno != EINPROGRESS) err = errno;
    }
    if (err != 0) {
        if (fd >= 0) ::close(fd);
        ref.guard.unlock();
        static LogLimit limit;
        uint64_t skipped = 0;
        if (limit.allow(&skipped)) {
            LM_NOTICE("cannot connect to %s over TCP: %s (%lu more not logged)",
                      toString(peer).c_str(), strerror(err), static_cast<unsigned long>(skipped));
        }
        countTcp(&TcpStats::connectFailed);
        t->release(c);
        return;
    }
    setupOwned(slot, id, fd, *c, true);
    LM_DBG("TCP connection %llu to %s: connecting", static_cast<unsigned long long>(id),
           toString(peer).c_str());
}

void TcpOwner::onEvent(uint32_t slot, uint32_t events) {
    if (slot >= capacity_) return;
    OwnedConn& oc = conns_[slot];
    if (oc.fd < 0) return;  // closed earlier in this round
    if (oc.connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
        finishConnect(slot, oc);
        if (oc.fd < 0 || oc.connecting) return;
    }
    if (oc.tls != nullptr && !oc.tls->established()) {
        tlsHandshake(slot, oc);  // whichever way the socket moved
        if (oc.fd >= 0) closeWanted(slot);
        return;
    }
    if ((events & EPOLLOUT) != 0 && !oc.connecting) onWritable(slot, oc);
    if (oc.fd >= 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
        onReadable(slot, oc);
    if (oc.fd >= 0) closeWanted(slot);
}

void TcpOwner::finishConnect(uint32_t slot, OwnedConn& oc) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(oc.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return;
    if (err != 0) {
        countTcp(&TcpStats::connectFailed);
        char why[96];
        snprintf(why, sizeof why, "connect failed: %s", strerror(err));
        close(slot, why, kNotice);
        return;
    }
    bool tls = false;
    char serverName[sizeof TcpConn::serverName];
    {
        ConnRef ref = TcpConnTable::get()->lockById(oc.id);
        if (ref) {
            ref.conn->state = ConnState::Open;
            tls = ref.conn->proto == Proto::Tls;
            std::memcpy(serverName, ref.conn->serverName, sizeof serverName);
            serverName[sizeof serverName - 1] = '\0';
        }
    }
    oc.connecting = false;
    countTcp(&TcpStats::connectSuccess);
    countTcp(&TcpStats::established);
    oc.lastActivityMs = timer::coarseNowMs();
    LM_DBG("TCP connection %llu to %s: connected", static_cast<unsigned long long>(oc.id),
           toString(oc.peer).c_str());
    if (tls) {
        // The connection could be set from `connecting` already: EPOLLOUT stays armed for
        // the handshake's first flight.
        oc.writeArmed = true;
        startTls(slot, oc, false, serverName);
        return;
    }
    flush(slot, oc);
}

void TcpOwner::onReadable(uint32_t slot, OwnedConn& oc) {
    if (oc.tls != nullptr) {
        onTlsReadable(slot, oc);
        return;
    }
    const ReadTarget to = oc.input.target(scratch_.data(), scratch_.size());
    ssize_t n = 0;
    if (to.room != 0) {
        do {
            n = read(oc.fd, to.data, to.room);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == ECONNRESET) {
            countTcp(&TcpStats::conReset);
            close(slot, "reset by the peer", kDebug);
            return;
        }
        if (n < 0) {
            char why[96];
            snprintf(why, sizeof why, "read failed: %s", strerror(errno));
            close(slot, why, kInfo);
            return;
        }
        if (n == 0) {
            close(slot, "closed by the peer", kDebug);
            return;
        }
        oc.lastActivityMs = timer::coarseNowMs();
    }
    consume(slot, oc, static_cast<size_t>(n));
}

// Frames and routes the n octets just read into oc.input's target.
void TcpOwner::consume(uint32_t slot, OwnedConn& oc, size_t n) {
    TcpConn* shared = TcpConnTable::get()->slot(slot);
    RouteSink sink{this, &oc, shared};
    const InputStatus status = oc.input.commit(n, sink);
    // Most reads hold whole messages and keep nothing: one comparison.
    if (oc.input.held() != oc.partialCharged || (sink.framed != 0 && oc.partialCharged != 0))
        notePartial(oc, sink.framed != 0);
    switch (status) {
        case InputStatus::Ok:
        case InputStatus::Closed:
            return;  // a close request is seen by the caller
        case InputStatus::NoMemory:
            close(slot, "no memory for a partial message (pkg)", kNotice);
            return;
        case InputStatus::BadStream: {
            const sip::ParseError& e = oc.input.error();
            char why[256];
            if (e.code == sip::ParseErrc::MessageTooLarge) {
                snprintf(why, sizeof why, "message larger than tcp_max_msg_size (%zu octets)",
                         settings_.maxMessage);
            } else {
                char text[192];
                const size_t tl = sip::formatParseError(e, text, sizeof text);
                snprintf(why, sizeof why, "cannot frame the stream: %.*s", static_cast<int>(tl),
                         text);
            }
            close(slot, why, kNotice);
            return;
        }
    }
}

void TcpOwner::notePartial(OwnedConn& oc, bool framed) {
    const size_t held = oc.input.held();
    // The age of the message now pending: a connection that completes messages is not slow.
    if (oc.partialCharged == 0 || framed) oc.partialSince = ++partialSeq_;
    partialBytes_ = partialBytes_ + held - oc.partialCharged;
    oc.partialCharged = held;
    if (TcpStats* st = tcpStats())
        st->partialBytes[worker_].store(partialBytes_, std::memory_order_relaxed);
    if (partialBytes_ > settings_.partialMax) cutPartials();
}

void TcpOwner::cutPartials() {
    while (partialBytes_ > settings_.partialMax) {
        uint32_t victim = UINT32_MAX;
        for (uint32_t slot : active_) {
            const OwnedConn& oc = conns_[slot];
            if (oc.partialCharged == 0) continue;
            if (victim != UINT32_MAX) {
                const OwnedConn& best = conns_[victim];
                if (oc.partialSince > best.partialSince) continue;
            }
            victim = slot;
        }
        if (victim == UINT32_MAX) return;
        countTcp(&TcpStats::partialCut);
        close(victim,
              "its unfinished message is the oldest and the worker's partial messages passed "
              "tcp_worker_partial_max",
              kNotice);
    }
}

void TcpOwner::onWritable(uint32_t slot, OwnedConn& oc) {
    flush(slot, oc);
}

void TcpOwner::flush(uint32_t slot, OwnedConn& oc) {
    TcpConn* c = TcpConnTable::get()->slot(slot);
    c->wakePending.store(0, std::memory_order_relaxed);
    int err = 0;
    FlushResult r;
    {
        mem::LockGuard g(c->lock);
        if (c->id.load(std::memory_order_relaxed) != oc.id) return;
        const size_t before = c->queue.bytes;
        const size_t charged = c->queue.charged;
        if (oc.tls == nullptr) {
            r = c->queue.flush(oc.fd, timer::coarseNowMs(), &err);
        } else if (oc.tls->established()) {
            r = c->queue.flush(TlsSession::write, oc.tls, timer::coarseNowMs(), &err);
        } else {
            return;  // the handshake owns the socket until it ends
        }
        if (c->queue.bytes != before) oc.lastActivityMs = timer::coarseNowMs();
        giveQueueBytes(c->ipHash, charged - c->queue.charged);
    }
    if (r == FlushResult::Error) {
        char why[96];
        snprintf(why, sizeof why, "write failed: %s", strerror(err));
        close(slot, why, kInfo);
        return;
    }
    setWriteInterest(slot, oc, r == FlushResult::Blocked);
}

void TcpOwner::wantWrite(OwnedConn& oc) {
    const uint32_t slot = connSlot(oc.id);
    if (!oc.connecting) setWriteInterest(slot, oc, true);
}

void TcpOwner::setWriteInterest(uint32_t slot, OwnedConn& oc, bool on) {
    if (oc.writeArmed == on || oc.connecting) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? uint32_t{EPOLLOUT} : 0u);
    ev.data.u64 = slot;
    epoll_ctl(epollFd_, EPOLL_CTL_MOD, oc.fd, &ev);
    oc.writeArmed = on;
}

void TcpOwner::onWake(ConnId id) {
    OwnedConn* oc = find(id);
    if (oc == nullptr) return;
    const uint32_t slot = connSlot(id);
    if (closeWanted(slot)) return;
    if (!oc->connecting) flush(slot, *oc);
}

bool TcpOwner::closeWanted(uint32_t slot) {
    TcpConn* c = TcpConnTable::get()->slot(slot);
    if (c->closeRequested.load(std::memory_order_relaxed) == 0) return false;
    close(slot,
          "a sender gave up on it (write queue full, cut for the write-queue budget, or write "
          "failed)",
          kNotice);
    return true;
}

void TcpOwner::sweep(int64_t now) {
    TcpConnTable* t = TcpConnTable::get();
    // Backwards: close() moves the last active slot into the closed one's place.
    for (size_t i = active_.size(); i-- > 0;) {
        const uint32_t slot = active_[i];
        OwnedConn& oc = conns_[slot];
        TcpConn* c = t->slot(slot);
        if (closeWanted(slot)) continue;
        if (oc.connecting) {
            if (now - oc.connectStartMs > settings_.connectTimeoutMs) {
                countTcp(&TcpStats::connectFailed);
                close(slot, "connect timed out (tcp_connect_timeout)", kNotice);
            }
            continue;
        }
        if (c->wakePending.load(std::memory_order_relaxed) != 0) flush(slot, oc);
        if (oc.fd < 0) continue;
        if (oc.tls != nullptr && tlsTimedOut(slot, oc, now)) continue;
        if (sendTimedOut(oc, c, now)) {
            countTcp(&TcpStats::sendTimeout);
            close(slot,
                  "the peer took too little data for tcp_send_timeout (tcp_send_min_progress)",
                  kNotice);
        } else if (oc.tls == nullptr && now - oc.lastActivityMs > settings_.lifetimeMs) {
            countTcp(&TcpStats::conTimeout);
            close(slot, "idle for tcp_connection_lifetime", kInfo);
        }
    }
}

bool TcpOwner::sendTimedOut(OwnedConn& oc, TcpConn* c, int64_t now) {
    bool queued;
    int64_t queuedSince;
    {
        mem::LockGuard g(c->lock);
        queued = !c->queue.empty();
        queuedSince = c->queue.stalledSinceMs;
    }
    if (!oc.progress.mustCheck(queued, oc.lastActivityMs)) {
        oc.progress.stillIdle(now);
        return false;
    }
    if (oc.progress.checkedRecently(now, SendProgress::checkInterval(settings_.sendTimeoutMs)))
        return false;
    const KernelSendState k = kernelSendState(oc.fd);
    if (!k.ok) return queued && now - queuedSince > settings_.sendTimeoutMs;
    return oc.progress.check(now, queued, k, settings_.minSendProgress, settings_.sendTimeoutMs);
}

void TcpOwner::close(uint32_t slot, const char* why, log::Level level) {
    OwnedConn& oc = conns_[slot];
    if (oc.fd < 0) return;
    epoll_ctl(epollFd_, EPOLL_CTL_DEL, oc.fd, nullptr);
    endTls(oc);
    ::close(oc.fd);
    oc.fd = -1;
    if (oc.partialCharged != 0) {
        partialBytes_ -= oc.partialCharged;
        if (TcpStats* st = tcpStats())
            st->partialBytes[worker_].store(partialBytes_, std::memory_order_relaxed);
        oc.partialCharged = 0;
    }
    oc.input.reset(settings_.maxMessage);
    const uint32_t last = active_.back();
    active_[oc.activeIndex] = last;
    conns_[last].activeIndex = oc.activeIndex;
    active_.pop_back();
    // Released before the log line: whoever reads the line finds the connection gone.
    TcpConnTable::get()->release(TcpConnTable::get()->slot(slot));
    logClose(level, oc, why);
    oc.id = 0;
}

void TcpOwner::closeAll() {
    while (!active_.empty()) close(active_.back(), "shutting down", kDebug);
}

}  // namespace osprey::net
