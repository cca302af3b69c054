// tcpSend.
#include "core/net/tcp_send.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/tcp_channel.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_owner.h"
#include "core/net/tcp_settings.h"
#include "core/net/tcp_stats.h"
#include "core/net/tcp_wq_budget.h"
#include "core/net/tcp_wq_cut.h"
#include "core/net/tls_session.h"
#include "core/timer/clock.h"

namespace osprey::net {

namespace {

bool fail(const SockAddr& to, const char* why, int err = 0) {
    static LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_NOTICE("cannot send over TCP/TLS to %s: %s%s%s (%lu more not logged)",
                  toString(to).c_str(), why, err != 0 ? ": " : "", err != 0 ? strerror(err) : "",
                  static_cast<unsigned long>(skipped));
    }
    return false;
}

// The connection to use: dest.connId when it is live, not being closed, and its peer is
// dest.addr (address and port, or the address alone when dest.connPortKnown is false: a Via's
// i= parameter comes from the network, so it must agree with the rest of the Via); else one to
// dest.addr, made when there is none. *created: a new outgoing connection that nobody has
// started yet.
ConnRef findConnection(TcpConnTable& t, const Destination& dest, bool* created) {
    *created = false;
    if (dest.connId != 0) {
        ConnRef ref = dest.addr.valid() ? t.lockByIdFrom(dest.connId, dest.addr, dest.connPortKnown)
                                        : t.lockById(dest.connId);
        if (ref && ref.conn->closeRequested.load(std::memory_order_relaxed) == 0) return ref;
    }
    if (!dest.addr.valid()) return ConnRef{};
    const int socket = chooseSocket(dest.proto, dest.addr.family(), dest.socket);
    const ConnId id =
        t.findByAddr(dest.addr, socket >= 0 && !dest.noConnect, socket, created, dest.proto);
    return id != 0 ? t.lockById(id) : ConnRef{};
}

enum class Queued : uint8_t { Yes, Overflow, Cut, NoRoom, NoMemory };

// Queues what the direct write left (all of the message after its first `written` octets)
// within tcp_conn_wq_max and the write-queue budget; c is locked. socketFull: the owner's
// direct write found the socket full (the queue is then blocked, tcp_write_queue.h).
Queued enqueue(TcpConnTable& t, TcpConn& c, const iovec* iov, unsigned count, size_t written,
               size_t total, int64_t now, bool socketFull) {
    const size_t rest = total - written;
    if (c.queue.bytes + rest > tcpSettings().queueMax) return Queued::Overflow;
    const size_t charge = WriteQueue::chargeFor(rest);
    switch (takeQueueRoom(t, c, charge)) {
        case QueueRoom::Ok:
            break;
        case QueueRoom::SelfCut:
            return Queued::Cut;
        case QueueRoom::NoRoom:
            return Queued::NoRoom;
    }
    if (!c.queue.append(iov, count, written, now)) {
        giveQueueBytes(c.ipHash, charge);
        return Queued::NoMemory;
    }
    if (socketFull) c.queue.blocked = true;  // the owner's own write just found it full
    return Queued::Yes;
}

const char* whyNotQueued(Queued q) {
    switch (q) {
        case Queued::Overflow:
            return "write queue full (tcp_conn_wq_max), closing the connection";
        case Queued::Cut:
            return "write queue budget full (tcp_wq_max or tcp_wq_max_per_ip) and this "
                   "connection waited longest, closing it";
        case Queued::NoRoom:
            return "write queue budget full (tcp_wq_max or tcp_wq_max_per_ip)";
        case Queued::NoMemory:
        case Queued::Yes:
            break;
    }
    return "out of shared memory for the write queue";
}

}  // namespace

bool tcpSend(const Destination& dest, const iovec* iov, unsigned count) {
    TcpConnTable* t = TcpConnTable::get();
    if (t == nullptr) return fail(dest.addr, "no TCP or TLS listener configured");
    size_t total = 0;
    for (unsigned i = 0; i < count; ++i) total += iov[i].iov_len;

    bool created = false;
    ConnRef ref = findConnection(*t, dest, &created);
    if (!ref) {
        if (dest.addr.valid() && chooseSocket(dest.proto, dest.addr.family(), dest.socket) < 0)
            return fail(dest.addr, dest.proto == Proto::Tls
                                       ? "no TLS listener of that address family"
                                       : "no TCP listener of that address family");
        return fail(dest.addr, t->used() >= t->capacity()
                                   ? "too many connections (tcp_max_connections)"
                                   : "the connection is gone");
    }
    TcpConn& c = *ref.conn;
    if (created) std::memcpy(c.serverName, dest.serverName, sizeof c.serverName);
    const ConnId id = c.id.load(std::memory_order_relaxed);
    const unsigned owner = c.owner;
    const SockAddr peer = c.peer;
    const int64_t now = timer::coarseNowMs();

    // The owner writes directly when nothing waits before this message.
    TcpOwner* self = tcpOwner();
    OwnedConn* oc = self != nullptr && self->worker() == owner ? self->find(id) : nullptr;
    size_t written = 0;
    bool tried = false;  // the direct write ran and the socket did not take everything
    if (oc != nullptr && !oc->connecting && c.state == ConnState::Open && c.queue.empty() &&
        (oc->tls == nullptr || oc->tls->established())) {
        tried = true;
        ssize_t n;
        if (oc->tls != nullptr) {
            n = TlsSession::write(oc->tls, iov, count);
        } else {
            msghdr mh{};
            mh.msg_iov = const_cast<iovec*>(iov);
            mh.msg_iovlen = count;
            do {
                n = sendmsg(oc->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
            } while (n < 0 && errno == EINTR);
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            const int err = errno;
            c.closeRequested.store(1, std::memory_order_relaxed);
            return fail(peer, "write failed", err);
        }
        if (n > 0) {
            written = static_cast<size_t>(n);
            oc->lastActivityMs = now;
        }
        if (written == total) return true;
    }
    const Queued q = enqueue(*t, c, iov, count, written, total, now, tried);
    if (q != Queued::Yes) {
        // Over a limit, or part of the message went out already: the stream cannot go on.
        if (q != Queued::NoMemory) countTcp(&TcpStats::sendqFull);
        const bool closing = q == Queued::Overflow || q == Queued::Cut || written != 0;
        if (closing) c.closeRequested.store(1, std::memory_order_relaxed);
        ref.guard.unlock();
        if (created) {
            t->release(&c);  // nobody else knows it yet
        } else if (closing && oc == nullptr) {
            wakeConnOwner(c, owner, id);
        }
        return fail(peer, whyNotQueued(q));
    }
    ref.guard.unlock();
    if (created) {
        if (sendTcpCommand(owner, TcpCommand{TcpCmd::Connect, id})) return true;
        const int err = errno;
        // Nobody else can start it: only its creator sends Connect.
        ConnRef again = t->lockById(id);
        if (again) {
            TcpConn* gone = again.conn;
            again.guard.unlock();
            t->release(gone);
        }
        return fail(peer, "cannot reach the TCP worker", err);
    }
    if (oc != nullptr) {
        self->wantWrite(*oc);
    } else {
        wakeConnOwner(c, owner, id);
    }
    return true;
}

}  // namespace osprey::net
