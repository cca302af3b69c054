// DNS settings: declared to the config loader, read and range-checked at start-up.
#include "core/dns/dns_settings.h"

#include <variant>

namespace osprey::dns {

namespace {

struct Declare {
    Declare() {
        config::declareSetting("dns_servers", config::ParamType::String);
        for (const char* name : {"dns_try_naptr", "dns_try_ipv6", "dns_srv_lb", "use_dns_failover"})
            config::declareSetting(name, config::ParamType::Bool);
        for (const char* name :
             {"dns_cache_negative_ttl", "dns_cache_min_ttl", "dns_cache_max_ttl", "dns_retr_time",
              "dns_retr_no", "dns_cache_size", "dns_stateless_wait", "dns_slow_query_ms"}) {
            config::declareSetting(name, config::ParamType::Int);
        }
    }
} const kDeclare;

Settings g_settings;

bool intSetting(const config::Config& cfg, const char* name, int64_t lo, int64_t hi, uint32_t* out,
                std::string* error) {
    const config::Param* p = cfg.setting(name);
    if (p == nullptr) return true;
    const int64_t v = std::get<int64_t>(p->value);
    if (v < lo || v > hi) {
        *error = p->where.text() + ": " + name + " = " + std::to_string(v) + " is out of range (" +
                 std::to_string(lo) + ".." + std::to_string(hi) + ")";
        return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

void boolSetting(const config::Config& cfg, const char* name, bool* out) {
    if (const config::Param* p = cfg.setting(name)) *out = std::get<bool>(p->value);
}

}  // namespace

bool loadSettings(const config::Config& cfg, Settings* out, std::string* error) {
    Settings s;
    if (const config::Param* p = cfg.setting("dns_servers"))
        s.servers = std::get<std::string>(p->value);
    boolSetting(cfg, "dns_try_naptr", &s.tryNaptr);
    boolSetting(cfg, "dns_try_ipv6", &s.tryIpv6);
    boolSetting(cfg, "dns_srv_lb", &s.srvLb);
    boolSetting(cfg, "use_dns_failover", &s.failover);
    const bool ok = intSetting(cfg, "dns_cache_negative_ttl", 0, 86400, &s.negativeTtl, error) &&
                    intSetting(cfg, "dns_cache_min_ttl", 0, 86400, &s.minTtl, error) &&
                    intSetting(cfg, "dns_cache_max_ttl", 1, 7 * 86400, &s.maxTtl, error) &&
                    intSetting(cfg, "dns_retr_time", 1, 60, &s.retrTime, error) &&
                    intSetting(cfg, "dns_retr_no", 1, 10, &s.retrNo, error) &&
                    intSetting(cfg, "dns_cache_size", 16, 1 << 20, &s.cacheSize, error) &&
                    intSetting(cfg, "dns_stateless_wait", 0, 5000, &s.statelessWaitMs, error) &&
                    intSetting(cfg, "dns_slow_query_ms", 1, 600000, &s.slowQueryMs, error);
    if (!ok) return false;
    if (s.minTtl > s.maxTtl) {
        *error = cfg.file + ": dns_cache_min_ttl is above dns_cache_max_ttl";
        return false;
    }
    *out = s;
    return true;
}

const Settings& settings() {
    return g_settings;
}

void setSettings(const Settings& s) {
    g_settings = s;
}

}  // namespace osprey::dns
