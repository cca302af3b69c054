// Where the control plane listens, read once in the master from the config:
//
//   ctl_socket           binrpc (kamcmd) and JSON-RPC, told apart by the first byte:
//                        "unix:/path", "/path" (relative: to the config's directory) or
//                        "tcp:127.0.0.1:2049"; "" turns it off. Default: /run/osprey/osprey_ctl
//                        when /run/osprey is a writable directory (a package or systemd's
//                        RuntimeDirectory creates it), else osprey_ctl next to the config file.
//   jsonrpc_socket       JSON-RPC only, a unix stream socket path; off unless set
//   rpc_http_listen      HTTP (POST /RPC, GET pages such as /metrics): "127.0.0.1:8080",
//                        "[::1]:8080" or a port alone (loopback); off unless set
//   rpc_max_connections  connections open at once over all of them; more are closed at once
//                        (default 64)
//   rpc_idle_timeout     seconds a connection may go without completing a request (default 10)
#pragma once
#include <cstdint>
#include <string>

#include "core/config/config.h"

namespace osprey::rpc {

struct RpcEndpoint {
    enum class Kind : uint8_t { None, Unix, Tcp };
    Kind kind = Kind::None;
    std::string path;  // Unix: absolute socket path
    std::string host;  // Tcp: numeric address
    uint16_t port = 0;
    std::string text() const;  // "unix:/run/osprey/osprey_ctl", "tcp:127.0.0.1:2049"
};

struct RpcSettings {
    RpcEndpoint ctl;
    RpcEndpoint json;
    RpcEndpoint http;
    unsigned maxConnections = 64;
    int idleTimeoutMs = 10'000;
};

// The ctl_socket used when the config does not set one.
std::string defaultCtlSocket(const config::Config& cfg);

// Reads and checks the settings; false with *error ("file:line: rpc_http_listen ...").
bool loadRpcSettings(const config::Config& cfg, RpcSettings* out, std::string* error);

}  // namespace osprey::rpc
