// Process-wide helpers of the load tool: a monotonic clock, the CPU time used so far, and the
// stop request raised by SIGTERM/SIGINT (every run loop polls it, so a signal always ends a
// run within one loop turn).
#pragma once
#include <cstdint>

namespace osprey::load {

uint64_t nowNs();
double cpuSeconds();

// Installs SIGTERM/SIGINT handlers without SA_RESTART, so a blocking recvmmsg/poll returns
// EINTR and the loop sees the request at once.
void installStopSignals();
// How many stop signals arrived (the UAC drains on the first and quits on the second).
int stopRequests();

}  // namespace osprey::load
