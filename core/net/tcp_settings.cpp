// TCP settings: declared to the config loader, read and range-checked at start-up.
#include "core/net/tcp_settings.h"

namespace osprey::net {

namespace {

struct Declare {
    Declare() {
        for (const char* name :
             {"tcp_max_connections", "tcp_max_msg_size", "tcp_connection_lifetime",
              "tcp_connect_timeout", "tcp_send_timeout", "tcp_send_min_progress", "tcp_conn_wq_max",
              "tcp_wq_max", "tcp_wq_max_per_ip", "tcp_worker_partial_max",
              "tcp_send_buffer_size"}) {
            config::declareSetting(name, config::ParamType::Int);
        }
    }
} const kDeclare;

TcpSettings g_settings;

// The value of an integer setting in [lo, hi], or def when absent.
bool intSetting(const config::Config& cfg, const char* name, int64_t lo, int64_t hi, int64_t def,
                int64_t* out, std::string* error) {
    const config::Param* p = cfg.setting(name);
    if (p == nullptr) {
        *out = def;
        return true;
    }
    const int64_t v = std::get<int64_t>(p->value);
    if (v < lo || v > hi) {
        *error = p->where.text() + ": " + name + " = " + std::to_string(v) + " is out of range (" +
                 std::to_string(lo) + ".." + std::to_string(hi) + ")";
        return false;
    }
    *out = v;
    return true;
}

bool present(const config::Config& cfg, const char* name) {
    for (const auto& [key, where] : cfg.locations) {
        if (key == name) return true;
    }
    return false;
}

}  // namespace

bool loadTcpSettings(const config::Config& cfg, TcpSettings* out, std::string* error) {
    TcpSettings s;
    s.workers = present(cfg, "tcp_children") ? cfg.tcpChildren : cfg.children;
    if (s.workers == 0) {
        *error = cfg.where("tcp_children").text() +
                 ": tcp_children must be at least 1 when there is a tcp listener";
        return false;
    }
    int64_t v = 0;
    // Connection ids keep the slot in 20 bits (tcp_conn_table.h).
    if (!intSetting(cfg, "tcp_max_connections", 16, 1 << 20, s.maxConnections, &v, error))
        return false;
    s.maxConnections = static_cast<uint32_t>(v);
    if (!intSetting(cfg, "tcp_max_msg_size", 1024, 16 << 20, static_cast<int64_t>(s.maxMessage), &v,
                    error))
        return false;
    s.maxMessage = static_cast<size_t>(v);
    if (!intSetting(cfg, "tcp_connection_lifetime", 1, 86400 * 365, 120, &v, error)) return false;
    s.lifetimeMs = v * 1000;
    if (!intSetting(cfg, "tcp_connect_timeout", 1, 3600, 10, &v, error)) return false;
    s.connectTimeoutMs = v * 1000;
    if (!intSetting(cfg, "tcp_send_timeout", 1, 3600, 10, &v, error)) return false;
    s.sendTimeoutMs = v * 1000;
    if (!intSetting(cfg, "tcp_conn_wq_max", 4096, 1 << 30, static_cast<int64_t>(s.queueMax), &v,
                    error))
        return false;
    s.queueMax = static_cast<size_t>(v);
    if (!intSetting(cfg, "tcp_send_min_progress", 1, 1 << 20,
                    static_cast<int64_t>(s.minSendProgress), &v, error))
        return false;
    s.minSendProgress = static_cast<size_t>(v);
    // The write queues are transient; an eighth of the segment leaves the rest for what must
    // not fail (transactions, registrations, dialogs) however many peers stop reading.
    const int64_t wqDefault = static_cast<int64_t>((cfg.shmMiB << 20) / 8);
    if (!intSetting(cfg, "tcp_wq_max", 65536, int64_t{1} << 40, wqDefault, &v, error)) return false;
    s.wqMax = static_cast<size_t>(v);
    // One address (one host, or one NAT) gets at most a quarter, so it cannot use up the
    // budget of everyone else on its own.
    if (!intSetting(cfg, "tcp_wq_max_per_ip", 4096, int64_t{1} << 40,
                    static_cast<int64_t>(s.wqMax / 4), &v, error))
        return false;
    s.wqMaxPerIp = static_cast<size_t>(v);
    // Partial messages live in a worker's private heap, which also holds every message being
    // routed and the script's state: a quarter of it at most.
    const int64_t partialDefault = static_cast<int64_t>((cfg.pkgMiB << 20) / 4);
    if (!intSetting(cfg, "tcp_worker_partial_max", 65536, int64_t{1} << 40, partialDefault, &v,
                    error))
        return false;
    s.partialMax = static_cast<size_t>(v);
    if (!intSetting(cfg, "tcp_send_buffer_size", 0, 64 << 20, 0, &v, error)) return false;
    if (v != 0 && v < 4096) {
        *error = cfg.where("tcp_send_buffer_size").text() +
                 ": tcp_send_buffer_size must be 0 (the kernel's choice) or at least 4096";
        return false;
    }
    s.sendBuffer = static_cast<int>(v);
    *out = s;
    return true;
}

const TcpSettings& tcpSettings() {
    return g_settings;
}

void setTcpSettings(const TcpSettings& s) {
    g_settings = s;
}

}  // namespace osprey::net
