// A temporary read path for tests and operators until the RPC layer serves the statistics
// (stats.get_statistics, GET /metrics): with OSPREY_STATS_DUMP=FILE in the environment, the
// master writes every statistic on SIGUSR1 to FILE as stats.get_statistics lines
// ("core:rcv_requests = 12") and to FILE.prom in the Prometheus text format. Each file is
// written beside its name and renamed into place, so a reader never sees half of one; FILE.prom
// is renamed first, so once FILE exists both are complete.
#pragma once

namespace osprey::stats {

inline constexpr const char* kDumpEnv = "OSPREY_STATS_DUMP";

// Master, on SIGUSR1. Does nothing without OSPREY_STATS_DUMP.
void dumpOnSignal();

}  // namespace osprey::stats
