// The TLS transport's statistics, group `tls` in the statistics framework (docs/stats.md):
// what happened to handshakes and why connections were cut. Declared in the master when a TLS
// listener or TLS settings exist; counted by the TCP workers and tcp-main.
#pragma once
#include "core/stats/counter.h"

namespace osprey::net {

struct TlsCounters {
    stats::Counter handshakes;           // tls:handshakes (full and resumed, both directions)
    stats::Counter resumed;              // tls:resumed_handshakes
    stats::Counter handshakeFailed;      // tls:handshake_failed (protocol, certificate, socket)
    stats::Counter handshakeTimeout;     // tls:handshake_timeout
    stats::Counter certRejected;         // tls:cert_rejected (verification failed)
    stats::Counter renegotiationCut;     // tls:renegotiation_refused
    stats::Counter pendingPerIpCut;      // tls:pending_per_ip_refused
    stats::Counter connectionsPerIpCut;  // tls:connections_per_ip_refused
    stats::Counter idleTimeout;          // tls:idle_timeout
    stats::Counter reloads;              // tls:reloads
};

// Declares the counters (master, before the statistics table is made).
void declareTlsStats();
TlsCounters& tlsCounters();

}  // namespace osprey::net
