#include "core/rpc/rpc_settings.h"

#include <arpa/inet.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include "core/config/listen_addr.h"

namespace osprey::rpc {

namespace {

const bool g_declared = [] {
    config::declareSetting("ctl_socket", config::ParamType::String);
    config::declareSetting("jsonrpc_socket", config::ParamType::String);
    config::declareSetting("rpc_http_listen", config::ParamType::String);
    config::declareSetting("rpc_max_connections", config::ParamType::Int);
    config::declareSetting("rpc_idle_timeout", config::ParamType::Int);
    return true;
}();

std::string where(const config::Config& cfg, const char* name) {
    const config::Param* p = cfg.setting(name);
    return p != nullptr ? p->where.text() : cfg.file;
}

bool unixPath(const config::Config& cfg, std::string path, const char* name, RpcEndpoint* out,
              std::string* error) {
    if (path.front() != '/') path = (cfg.dir.empty() ? std::string(".") : cfg.dir) + "/" + path;
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        *error = where(cfg, name) + ": " + name + " '" + path + "' is longer than a unix socket " +
                 "path may be (" + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)";
        return false;
    }
    out->kind = RpcEndpoint::Kind::Unix;
    out->path = std::move(path);
    return true;
}

// "host:port", "[v6]:port" or "port" (loopback).
bool tcpAddress(const config::Config& cfg, const std::string& text, const char* name,
                RpcEndpoint* out, std::string* error) {
    std::string t = text;
    bool digits = !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
    if (digits) t = "127.0.0.1:" + t;
    config::ListenAddr la;
    std::string why;
    unsigned char buf[sizeof(in6_addr)];
    if (!config::parseListenAddr("tcp:" + t, la, &why) || la.hostType == config::HostType::Name ||
        t.rfind(':') == std::string::npos || t.back() == ']') {
        *error = where(cfg, name) + ": " + name + " '" + text +
                 "': expected a numeric address and port (\"127.0.0.1:8080\", \"[::1]:8080\")" +
                 (why.empty() ? "" : ": " + why);
        return false;
    }
    int af = la.hostType == config::HostType::Ipv6 ? AF_INET6 : AF_INET;
    if (inet_pton(af, la.host.c_str(), buf) != 1 || la.port == 0) {
        *error = where(cfg, name) + ": " + name + " '" + text + "': bad address or port";
        return false;
    }
    out->kind = RpcEndpoint::Kind::Tcp;
    out->host = la.host;
    out->port = la.port;
    return true;
}

}  // namespace

std::string RpcEndpoint::text() const {
    switch (kind) {
        case Kind::None:
            return "off";
        case Kind::Unix:
            return "unix:" + path;
        case Kind::Tcp:
            return "tcp:" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                   std::to_string(port);
    }
    return "?";
}

std::string defaultCtlSocket(const config::Config& cfg) {
    if (access("/run/osprey", W_OK | X_OK) == 0) return "/run/osprey/osprey_ctl";
    return (cfg.dir.empty() ? std::string(".") : cfg.dir) + "/osprey_ctl";
}

bool loadRpcSettings(const config::Config& cfg, RpcSettings* out, std::string* error) {
    *out = RpcSettings{};
    (void)g_declared;
    const config::Param* ctl = cfg.setting("ctl_socket");
    std::string ctlText =
        ctl != nullptr ? std::get<std::string>(ctl->value) : defaultCtlSocket(cfg);
    if (!ctlText.empty()) {
        if (ctlText.rfind("tcp:", 0) == 0) {
            if (!tcpAddress(cfg, ctlText.substr(4), "ctl_socket", &out->ctl, error)) return false;
        } else {
            if (ctlText.rfind("unix:", 0) == 0) ctlText = ctlText.substr(5);
            if (ctlText.empty() || !unixPath(cfg, ctlText, "ctl_socket", &out->ctl, error))
                return !ctlText.empty() ? false : true;
        }
    }
    if (const config::Param* p = cfg.setting("jsonrpc_socket")) {
        std::string t = std::get<std::string>(p->value);
        if (t.rfind("unix:", 0) == 0) t = t.substr(5);
        if (!t.empty() && !unixPath(cfg, t, "jsonrpc_socket", &out->json, error)) return false;
    }
    if (const config::Param* p = cfg.setting("rpc_http_listen")) {
        const std::string& t = std::get<std::string>(p->value);
        if (!t.empty() && !tcpAddress(cfg, t, "rpc_http_listen", &out->http, error)) return false;
    }
    if (const config::Param* p = cfg.setting("rpc_max_connections")) {
        int64_t v = std::get<int64_t>(p->value);
        if (v < 1 || v > 10000) {
            *error = p->where.text() + ": rpc_max_connections must be 1..10000";
            return false;
        }
        out->maxConnections = static_cast<unsigned>(v);
    }
    if (const config::Param* p = cfg.setting("rpc_idle_timeout")) {
        int64_t v = std::get<int64_t>(p->value);
        if (v < 1 || v > 3600) {
            *error = p->where.text() + ": rpc_idle_timeout must be 1..3600 seconds";
            return false;
        }
        out->idleTimeoutMs = static_cast<int>(v * 1000);
    }
    return true;
}

}  // namespace osprey::rpc
