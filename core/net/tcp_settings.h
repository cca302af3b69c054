// The TCP transport's settings, with Kamailio's names and units where Kamailio has the
// setting (docs/design.md §7), read once in the master from the config and inherited by every
// child:
//
//   tcp_children             TCP worker processes; default: `children`
//   tcp_max_connections      connections open at once (accepted + outgoing); default 4096
//   tcp_max_msg_size         largest SIP message on a connection, bytes; default 65536
//   tcp_connection_lifetime  seconds without traffic before a connection is closed; 120
//   tcp_connect_timeout      seconds an outgoing connect may take; default 10
//   tcp_send_timeout         seconds queued data may wait without any progress; default 10
//   tcp_conn_wq_max          bytes queued for one connection before it is closed; 262144
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
    size_t queueMax = 256 * 1024;
};

// Reads and checks the settings; false with *error ("file:line: tcp_max_msg_size ...").
bool loadTcpSettings(const config::Config& cfg, TcpSettings* out, std::string* error);

// The settings of this run (set in the master before fork).
const TcpSettings& tcpSettings();
void setTcpSettings(const TcpSettings& s);

}  // namespace osprey::net
