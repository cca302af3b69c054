// Each process's private (pkg) heap counters, copied into its process table entry so the
// control process can report every process's pkg heap (RPC pkg.stats). A process publishes at
// start and then at most once a second from its loop (after routing a message, on a timer
// tick, in the control loop); reading the counters takes no lock.
#pragma once
#include <cstdint>

namespace osprey::proc {

inline constexpr int64_t kPkgPublishIntervalMs = 1000;

// Copies this process's pkg counters into its entry; unless `force`, only when the last copy
// is older than kPkgPublishIntervalMs.
void publishPkgStats(bool force = false) noexcept;

}  // namespace osprey::proc
