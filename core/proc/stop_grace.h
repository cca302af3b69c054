// How long the master waits for its children to stop after SIGTERM before it kills them.
// 700 ms is ample for a native build, but under valgrind a child needs far longer to finish
// (callgrind writes its profile at exit): killed, it leaves no profile and the stop looks
// like a failure. OSPREY_STOP_GRACE_MS (1..600000) overrides the default.
#pragma once

namespace osprey::proc {

inline constexpr int kStopGraceMs = 700;
inline constexpr int kStopGraceValgrindMs = 15000;

// OSPREY_STOP_GRACE_MS when set to a valid value, else kStopGraceValgrindMs when running
// under valgrind, else kStopGraceMs.
int defaultStopGraceMs();

// True when this process runs under valgrind.
bool runningOnValgrind();

}  // namespace osprey::proc
