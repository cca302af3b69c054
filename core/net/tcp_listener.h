// Opening the TCP listen sockets (IPv4 and IPv6) of every `tcp:` and `tls:` entry of the config, in
// the master before fork. They join the shared listen socket table (listen_socket.h), so the
// router's Via and socket choice work for TCP as for UDP; only tcp-main accepts on them.
#pragma once
#include <string>

#include "core/config/config.h"

namespace osprey::net {

// Accept backlog asked for (the kernel caps it at net.core.somaxconn).
inline constexpr int kTcpBacklog = 4096;

// Opens, binds and listens; returns the number opened, or -1 with *error set ("cannot bind
// tcp:127.0.0.1:5060: Address already in use").
int openTcpListeners(const config::Config& cfg, std::string* error);

}  // namespace osprey::net
