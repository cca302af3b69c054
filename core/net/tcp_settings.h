// The TCP transport's settings, with Kamailio's names and units where Kamailio has the
// setting (docs/design.md §7), read once in the master from the config and inherited by every
// child:
//
//   tcp_children             TCP worker processes; default: `children`
//   tcp_max_connections      connections open at once (accepted + outgoing); default 4096
//   tcp_max_msg_size         largest SIP message on a connection, bytes; default 65536
//   tcp_connection_lifetime  seconds without traffic before a connection is closed; 120
//   tcp_connect_timeout      seconds an outgoing connect may take; default 10
//   tcp_send_timeout         seconds unsent data may wait without progress; default 10
//   tcp_send_min_progress    bytes the peer must accept per tcp_send_timeout to be making
//                            progress (unless everything was sent); default 4096
//   tcp_conn_wq_max          bytes queued for one connection before it is closed; 262144
//   tcp_wq_max               bytes of shm all TCP write queues may hold; shm_size / 8
//   tcp_wq_max_per_ip        bytes of shm the write queues to one peer IP may hold;
//                            tcp_wq_max / 4
//   tcp_send_buffer_size     SO_SNDBUF of every connection, bytes; 0 (the kernel's autotuning)
//   tcp_worker_partial_max   bytes of unfinished messages one TCP worker keeps (pkg);
//                            pkg_size / 4
// README.md "TCP limits" says why the defaults are what they are.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config/config.h"

namespace osprey::net {

struct TcpSettings {
    unsigned workers = 4;
    uint32_t maxConnections = 4096;
    size_t maxMessage = 65536;
    int64_t lifetimeMs = 120'000;
    int64_t connectTimeoutMs = 10'000;
    int64_t sendTimeoutMs = 10'000;
    size_t minSendProgress = 4096;
    size_t queueMax = 256 * 1024;
    size_t wqMax = 8u << 20;       // shm_size / 8 with the default 64 MiB
    size_t wqMaxPerIp = 2u << 20;  // wqMax / 4
    size_t partialMax = 2u << 20;  // pkg_size / 4 with the default 8 MiB
    int sendBuffer = 0;            // 0: leave SO_SNDBUF to the kernel
};

// Reads and checks the settings; false with *error ("file:line: tcp_max_msg_size ...").
bool loadTcpSettings(const config::Config& cfg, TcpSettings* out, std::string* error);

// The settings of this run (set in the master before fork).
const TcpSettings& tcpSettings();
void setTcpSettings(const TcpSettings& s);

}  // namespace osprey::net
