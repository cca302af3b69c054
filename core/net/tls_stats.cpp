// TLS statistics: the declarations, and one gauge computed when read.
#include "core/net/tls_stats.h"

#include "core/net/tcp_conn_table.h"
#include "core/stats/registry.h"

namespace osprey::net {

namespace {

TlsCounters g_counters;

int64_t openTls(uintptr_t) {
    TcpConnTable* t = TcpConnTable::get();
    if (t == nullptr) return 0;
    int64_t n = 0;
    for (uint32_t i = 0; i < t->capacity(); ++i) {
        const TcpConn* c = t->slot(i);
        if (c->state != ConnState::Free && c->proto == Proto::Tls) ++n;
    }
    return n;
}

}  // namespace

void declareTlsStats() {
    TlsCounters& c = g_counters;
    using stats::declareCounter;
    c.handshakes = declareCounter("tls", "handshakes", "TLS handshakes completed");
    c.resumed =
        declareCounter("tls", "resumed_handshakes", "TLS handshakes that resumed a session");
    c.handshakeFailed =
        declareCounter("tls", "handshake_failed", "TLS handshakes that failed (any reason)");
    c.handshakeTimeout = declareCounter("tls", "handshake_timeout",
                                        "TLS connections cut: no handshake in handshake_timeout");
    c.certRejected =
        declareCounter("tls", "cert_rejected", "TLS handshakes failed on the peer's certificate");
    c.renegotiationCut = declareCounter("tls", "renegotiation_refused",
                                        "TLS connections cut for trying to renegotiate");
    c.pendingPerIpCut = declareCounter("tls", "pending_per_ip_refused",
                                       "TLS connections refused: max_pending_handshakes_per_ip");
    c.connectionsPerIpCut = declareCounter("tls", "connections_per_ip_refused",
                                           "TLS connections refused: max_connections_per_ip");
    c.idleTimeout =
        declareCounter("tls", "idle_timeout", "TLS connections closed after connection_timeout");
    c.reloads = declareCounter("tls", "reloads", "Certificate reloads requested (tls.reload)");
    stats::declareFunc("tls", "current_opened_connections", "TLS connections open now", &openTls);
}

TlsCounters& tlsCounters() {
    return g_counters;
}

}  // namespace osprey::net
