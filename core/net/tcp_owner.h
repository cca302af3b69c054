// The connections one TCP worker owns (tcp_conn_table.h): the private half of each (socket,
// input buffer, timers) and everything only an owner does with them: adopt an accepted
// socket, connect an outgoing one, read and route its messages in order, write its queue,
// and close it (peer closed, framing error, message too large, idle for
// tcp_connection_lifetime, connect or send timeout (tcp_send_progress.h), queue overflow or
// budget cut (tcp_wq_cut.h), too many partial messages, shutdown).
//
// Partial messages (TcpInput's kept buffers, in this worker's pkg heap) are counted across the
// worker's connections; past tcp_worker_partial_max the connection whose unfinished message
// is oldest is closed until the worker is back within it, so a flood of slow, never-finished
// messages costs the offenders their connections, not the next client its message.
//
// Closing happens only here, between events, never inside the send path: a sender that finds
// a connection broken sets TcpConn::closeRequested and the owner closes it at the next safe
// point.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/log/log.h"
#include "core/net/endpoint.h"
#include "core/net/sock_addr.h"
#include "core/net/tcp_input.h"
#include "core/net/tcp_send_progress.h"
#include "core/net/tcp_settings.h"

namespace osprey::net {

struct TcpConn;
class TlsSession;

struct OwnedConn {
    int fd = -1;  // -1: not owned by this process
    ConnId id = 0;
    SockAddr peer;
    int socket = -1;
    TcpInput input;
    int64_t lastActivityMs = 0;
    int64_t connectStartMs = 0;
    SendProgress progress;
    size_t partialCharged = 0;  // input.held() as counted in TcpOwner::partialBytes_
    uint64_t partialSince = 0;  // TcpOwner::partialSeq_ when the pending message began
    bool connecting = false;
    bool writeArmed = false;
    bool tlsPending = false;    // a TLS handshake counted in TlsIpLimits' pending places
    bool tlsIpPlace = false;    // an accepted TLS connection counted in TlsIpLimits
    TlsSession* tls = nullptr;  // TLS connections: the session (this process's memory)
    uint32_t ipHash = 0;
    uint32_t activeIndex = 0;  // position in TcpOwner::active_
};

class TcpOwner {
public:
    // epollFd: the worker's epoll set; connections are added with data.u64 = slot.
    bool init(unsigned worker, int epollFd, const TcpSettings& settings);
    unsigned worker() const { return worker_; }

    // The owned connection with this id, or nullptr (not ours, or not live here).
    OwnedConn* find(ConnId id);

    void adopt(ConnId id, int fd);  // takes fd in every case
    void startConnect(ConnId id);
    void onEvent(uint32_t slot, uint32_t events);
    void onWake(ConnId id);
    // Timers, pending wake-ups and close requests of every owned connection.
    void sweep(int64_t nowMs);
    void closeAll();

    // The send path, in this process, queued bytes for an owned connection.
    void wantWrite(OwnedConn& oc);
    size_t count() const { return active_.size(); }
    size_t partialBytes() const { return partialBytes_; }

    // Frees what a previous incarnation of this worker left in the table (after a crash).
    void releaseStale();

private:
    void setupOwned(uint32_t slot, ConnId id, int fd, const TcpConn& c, bool connecting);
    void onReadable(uint32_t slot, OwnedConn& oc);
    void consume(uint32_t slot, OwnedConn& oc, size_t n);
    // TLS (tcp_owner_tls.cpp).
    bool startTls(uint32_t slot, OwnedConn& oc, bool server, const char* serverName);
    void tlsHandshake(uint32_t slot, OwnedConn& oc);
    void onTlsReadable(uint32_t slot, OwnedConn& oc);
    void endTls(OwnedConn& oc);
    bool tlsTimedOut(uint32_t slot, OwnedConn& oc, int64_t now);
    void onWritable(uint32_t slot, OwnedConn& oc);
    void flush(uint32_t slot, OwnedConn& oc);
    void finishConnect(uint32_t slot, OwnedConn& oc);
    void setWriteInterest(uint32_t slot, OwnedConn& oc, bool on);
    void notePartial(OwnedConn& oc, bool framed);
    void cutPartials();
    bool sendTimedOut(OwnedConn& oc, TcpConn* c, int64_t now);
    void close(uint32_t slot, const char* why, log::Level level);
    bool closeWanted(uint32_t slot);

    unsigned worker_ = 0;
    int epollFd_ = -1;
    TcpSettings settings_;
    std::unique_ptr<OwnedConn[]> conns_;  // by slot, allocated at start
    uint32_t capacity_ = 0;
    std::vector<uint32_t> active_;  // slots owned now
    std::vector<char> scratch_;     // every read without a pending message lands here
    size_t partialBytes_ = 0;       // sum of partialCharged over the owned connections
    uint64_t partialSeq_ = 0;       // orders partial messages by age (a clock has ties)
};

// This process's owner (TCP workers), or nullptr.
TcpOwner* tcpOwner();
void setTcpOwner(TcpOwner* owner);

}  // namespace osprey::net
