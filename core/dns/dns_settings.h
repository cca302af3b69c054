// The resolver's settings (global settings of the config file; Kamailio's names where Kamailio
// has the knob, docs/dns.md lists them). Read once in the master at start-up; children inherit
// them through fork.
#pragma once
#include <cstdint>
#include <string>

#include "core/config/config.h"

namespace osprey::dns {

struct Settings {
    std::string servers;            // dns_servers: "ip[:port],..."; empty: /etc/resolv.conf
    bool tryNaptr = false;          // dns_try_naptr (Kamailio's default: off)
    bool tryIpv6 = true;            // dns_try_ipv6: also AAAA
    bool srvLb = false;             // dns_srv_lb: weighted random order within a priority
    bool failover = false;          // use_dns_failover: tm tries the next target
    uint32_t negativeTtl = 60;      // dns_cache_negative_ttl (s)
    uint32_t minTtl = 0;            // dns_cache_min_ttl (s)
    uint32_t maxTtl = 86400;        // dns_cache_max_ttl (s)
    uint32_t retrTime = 2;          // dns_retr_time (s): time before a query is retried
    uint32_t retrNo = 2;            // dns_retr_no: tries per server
    uint32_t cacheSize = 1024;      // dns_cache_size: entries at most (oldest evicted)
    uint32_t statelessWaitMs = 50;  // dns_stateless_wait (ms): stateless forwarding's wait
    uint32_t slowQueryMs = 1000;    // dns_slow_query_ms: slower resolutions count as slow
};

// Reads and range-checks the settings; false with *error naming the setting.
bool loadSettings(const config::Config& cfg, Settings* out, std::string* error);

// The settings of this run (defaults until setSettings).
const Settings& settings();
void setSettings(const Settings& s);

}  // namespace osprey::dns
