// The statistics' RPC methods and page, with Kamailio's names and answers (its kex module;
// docs/stats.md): stats.get_statistics, stats.fetch, stats.fetchn, stats.reset_statistics,
// stats.clear_statistics, and GET /metrics (Prometheus text) on rpc_http_listen.
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::rpc {

std::span<const Method> statsMethods();
// Master, before fork: serves GET /metrics on the HTTP listener.
bool registerMetricsPage();

}  // namespace osprey::rpc
