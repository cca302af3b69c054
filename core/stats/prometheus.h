// The Prometheus text exposition format (version 0.0.4) of a statistics snapshot: a pure
// function, so the HTTP layer serves `formatPrometheus(stats::select("all"))` on GET /metrics
// with Content-Type `text/plain; version=0.0.4`.
//
// Two sets of names, so existing dashboards work (docs/stats.md lists them):
//  - labelled families as kamailio_exporter names them, counters ending _total:
//    kamailio_core_rcv_request_total{method="invite"}, kamailio_sl_reply_total{code="200"},
//    kamailio_shm_bytes{type="used"}, kamailio_tmx{type="inuse"}, kamailio_pkgmem_used{...}
//  - every statistic flat as xhttp_prom names it, kamailio_<group>_<name> (characters other
//    than [A-Za-z0-9_] become _), typed gauge as xhttp_prom types them (the names do not end
//    in _total, which Prometheus reserves for counters).
// Every family has # HELP and # TYPE; no timestamps.
#pragma once
#include <string>

#include "core/stats/read.h"

namespace osprey::stats {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string formatPrometheus(const Snapshot& snapshot);

}  // namespace osprey::stats
