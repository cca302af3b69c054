// Counters of the TCP transport, in shm so that every process adds to the same numbers and a
// statistics or RPC layer can read them from any process. Names follow Kamailio's `tcp:`
// statistics group where Kamailio has the counter (established, passive_open,
// connect_success, connect_failed, local_reject, con_reset, con_timeout, send_timeout,
// sendq_full, current_opened_connections, current_write_queue_size); the others are Osprey's
// own and say which limit (README.md "TCP limits") cut a connection.
//
//     TcpStatValue v[kTcpStatCount];
//     size_t n = readTcpStats(v, kTcpStatCount);   // {"con_timeout", 3}, ...
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/net/tcp_conn_table.h"

namespace osprey::net {

struct TcpStats {
    std::atomic<uint64_t> established{0};     // accepted, or connected by us
    std::atomic<uint64_t> passiveOpen{0};     // accepted
    std::atomic<uint64_t> connectSuccess{0};  // outgoing connects that completed
    std::atomic<uint64_t> connectFailed{0};   // outgoing connects that failed or timed out
    std::atomic<uint64_t> localReject{0};     // accepted then refused (tcp_max_connections)
    std::atomic<uint64_t> conReset{0};        // reset by the peer
    std::atomic<uint64_t> conTimeout{0};      // closed after tcp_connection_lifetime idle
    std::atomic<uint64_t> sendTimeout{0};     // closed by tcp_send_timeout (no progress)
    std::atomic<uint64_t> sendqFull{0};       // sends refused by any write-queue limit
    std::atomic<uint64_t> wqCut{0};           // cut to keep within tcp_wq_max
    std::atomic<uint64_t> wqIpCut{0};         // cut to keep within tcp_wq_max_per_ip
    std::atomic<uint64_t> wqRefused{0};       // sends refused: no room could be made
    std::atomic<uint64_t> partialCut{0};      // cut to keep within tcp_worker_partial_max
    // Kept for unfinished messages, per TCP worker (pkg): a worker's successor after a crash
    // starts its own count again from 0.
    std::atomic<uint64_t> partialBytes[kMaxTcpWorkers];
};

// Master, before fork (in shm); false when shm is short. destroy after every child is gone.
bool createTcpStats();
void destroyTcpStats();
// The counters of this run; nullptr when there is no TCP transport.
TcpStats* tcpStats();

// Adds 1 to a counter when the counters exist.
inline void countTcp(std::atomic<uint64_t> TcpStats::*counter) {
    if (TcpStats* s = tcpStats()) (s->*counter).fetch_add(1, std::memory_order_relaxed);
}

struct TcpStatValue {
    const char* name;  // within the "tcp" group: "con_timeout", ...
    uint64_t value;
};
inline constexpr size_t kTcpStatCount = 16;
// A snapshot of every counter (with the gauges of the connection table and the write-queue
// budget); returns how many were written (0 without a TCP transport).
size_t readTcpStats(TcpStatValue* out, size_t n);

}  // namespace osprey::net
