// TcpOwner's TLS side: the handshake of an accepted or outgoing TLS connection, decrypted
// reads into the same framing as TCP, the handshake and idle timeouts, and the end of a
// session. Writes go through the write queue with TlsSession::write (tcp_owner.cpp flush).
#include <sys/epoll.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_owner.h"
#include "core/net/tls_ip_limits.h"
#include "core/net/tls_session.h"
#include "core/net/tls_settings.h"
#include "core/net/tls_stats.h"
#include "core/timer/clock.h"

namespace osprey::net {

namespace {

constexpr log::Level kNotice = log::Level::Notice;
constexpr log::Level kInfo = log::Level::Info;
constexpr log::Level kDebug = log::Level::Debug;

void handshakeEnded(OwnedConn& oc) {
    if (!oc.tlsPending) return;
    oc.tlsPending = false;
    if (TlsIpLimits* l = TlsIpLimits::get()) l->handshakeEnded(oc.ipHash);
}

}  // namespace

bool TcpOwner::startTls(uint32_t slot, OwnedConn& oc, bool server, const char* serverName) {
    std::string why;
    oc.tls = TlsSession::start(oc.fd, server, serverName, &why);
    if (oc.tls == nullptr) {
        stats::inc(tlsCounters().handshakeFailed);
        close(slot, why.c_str(), kNotice);
        return false;
    }
    oc.connectStartMs = timer::coarseNowMs();  // the handshake clock
    tlsHandshake(slot, oc);
    return oc.fd >= 0;
}

void TcpOwner::tlsHandshake(uint32_t slot, OwnedConn& oc) {
    std::string why;
    const TlsStep step = oc.tls->handshake(&why);
    switch (step) {
        case TlsStep::WantRead:
            // EPOLLIN is always armed; EPOLLOUT only while OpenSSL waits to write.
            setWriteInterest(slot, oc, false);
            return;
        case TlsStep::WantWrite:
            setWriteInterest(slot, oc, true);
            return;
        case TlsStep::Closed:
        case TlsStep::Failed: {
            stats::inc(tlsCounters().handshakeFailed);
            if (why.rfind("certificate rejected", 0) == 0) stats::inc(tlsCounters().certRejected);
            static LogLimit limit;
            uint64_t skipped = 0;
            if (limit.allow(&skipped)) {
                LM_NOTICE("TLS handshake %s %s failed: %s (%lu more not logged)",
                          oc.tls->server() ? "from" : "to", toString(oc.peer).c_str(), why.c_str(),
                          static_cast<unsigned long>(skipped));
            }
            close(slot, "TLS handshake failed", kDebug);
            return;
        }
        case TlsStep::Done:
            break;
    }
    handshakeEnded(oc);
    stats::inc(tlsCounters().handshakes);
    if (SSL_session_reused(oc.tls->ssl())) stats::inc(tlsCounters().resumed);
    oc.lastActivityMs = timer::coarseNowMs();
    {
        ConnRef ref = TcpConnTable::get()->lockById(oc.id);
        if (ref) {
            snprintf(ref.conn->tlsCipher, sizeof ref.conn->tlsCipher, "%s %s",
                     SSL_get_version(oc.tls->ssl()), SSL_get_cipher_name(oc.tls->ssl()));
        }
    }
    LM_DBG("TLS connection %llu with %s: %s %s", static_cast<unsigned long long>(oc.id),
           toString(oc.peer).c_str(), SSL_get_version(oc.tls->ssl()),
           SSL_get_cipher_name(oc.tls->ssl()));
    setWriteInterest(slot, oc, false);
    // Bytes a sender queued during the handshake (the request that made us connect), and
    // records that came with the last handshake flight.
    flush(slot, oc);
    if (oc.fd >= 0 && SSL_has_pending(oc.tls->ssl())) onTlsReadable(slot, oc);
}

void TcpOwner::onTlsReadable(uint32_t slot, OwnedConn& oc) {
    // Until OpenSSL wants the socket again: records it has decrypted but not handed out would
    // otherwise wait for the next readable event, which may never come.
    for (;;) {
        const ReadTarget to = oc.input.target(scratch_.data(), scratch_.size());
        if (to.room == 0) {
            consume(slot, oc, 0);  // reports the lack of memory
            return;
        }
        TlsStep step = TlsStep::Done;
        const ssize_t n = oc.tls->read(to.data, to.room, &step);
        if (oc.tls->renegotiationSeen()) {
            stats::inc(tlsCounters().renegotiationCut);
            close(slot, "the peer tried to renegotiate TLS (refused)", kNotice);
            return;
        }
        if (n > 0) {
            oc.lastActivityMs = timer::coarseNowMs();
            consume(slot, oc, static_cast<size_t>(n));
            if (oc.fd < 0 || TcpConnTable::get()->slot(slot)->closeRequested.load(
                                 std::memory_order_relaxed) != 0)
                return;
            continue;
        }
        switch (step) {
            case TlsStep::WantRead:
                // A write that waited for a read can go on now.
                if (oc.tls->writeWantsRead()) flush(slot, oc);
                return;
            case TlsStep::WantWrite:
                setWriteInterest(slot, oc, true);
                return;
            case TlsStep::Closed:
                close(slot, "closed by the peer", kDebug);
                return;
            case TlsStep::Failed:
            case TlsStep::Done:
                close(slot, "TLS record error (bad or truncated record, or socket error)", kInfo);
                return;
        }
    }
}

bool TcpOwner::tlsTimedOut(uint32_t slot, OwnedConn& oc, int64_t now) {
    const TlsSettings& s = tlsSettings();
    if (!oc.tls->established()) {
        if (now - oc.connectStartMs <= s.handshakeTimeoutMs) return false;
        stats::inc(tlsCounters().handshakeTimeout);
        stats::inc(tlsCounters().handshakeFailed);
        close(slot, "no TLS handshake within handshake_timeout", kInfo);
        return true;
    }
    if (now - oc.lastActivityMs <= s.idleTimeoutMs) return false;
    stats::inc(tlsCounters().idleTimeout);
    close(slot, "idle for the TLS connection_timeout", kInfo);
    return true;
}

void TcpOwner::endTls(OwnedConn& oc) {
    handshakeEnded(oc);
    if (oc.tlsIpPlace) {
        oc.tlsIpPlace = false;
        if (TlsIpLimits* l = TlsIpLimits::get()) l->closed(oc.ipHash);
    }
    if (oc.tls == nullptr) return;
    oc.tls->shutdown();
    delete oc.tls;
    oc.tls = nullptr;
}

}  // namespace osprey::net
