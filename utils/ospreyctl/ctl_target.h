// Which control socket ospreyctl talks to: -s, else ctl_socket from the config file (-c, else
// the default config), else the server's default path, worked out the way the server does
// (core/rpc/rpc_settings.h documents the setting).
#pragma once
#include <cstdint>
#include <string>

namespace osprey::ctl {

struct Target {
    bool tcp = false;
    std::string path;  // unix socket
    std::string host;  // tcp
    uint16_t port = 0;
    std::string text;  // "unix:/run/osprey/osprey_ctl", for messages
};

// Parses "unix:/path", "/path" or "tcp:host:port"; false with *error.
bool parseTarget(const std::string& spec, Target* out, std::string* error);
// The config's ctl_socket (or the default next to it); false with *error when the file cannot
// be read or ctl_socket is off.
bool targetFromConfig(const std::string& configFile, Target* out, std::string* error);
// The config ospreyctl reads without -c.
std::string defaultConfigFile();

}  // namespace osprey::ctl
