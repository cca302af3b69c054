// Milliseconds: the monotonic clock for deadlines, idle sweeps, retry intervals and the timer
// wheel, and the wall clock. Header-only, so any layer above mem/ may use it without linking
// core/timer.
#pragma once
#include <time.h>

#include <cstdint>

namespace osprey::timer {

namespace detail {
inline int64_t clockMs(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace detail

// CLOCK_MONOTONIC, exact to the millisecond: the timer wheel, supervision deadlines.
inline int64_t nowMs() {
    return detail::clockMs(CLOCK_MONOTONIC);
}

// CLOCK_MONOTONIC_COARSE: the last scheduler tick (a few ms behind) but cheaper; for
// per-message bookkeeping such as connection activity and log rate limits.
inline int64_t coarseNowMs() {
    return detail::clockMs(CLOCK_MONOTONIC_COARSE);
}

// CLOCK_REALTIME_COARSE: wall-clock milliseconds, for what outlives the process or is shown to
// people (nonce timestamps, process start times).
inline int64_t wallMs() {
    return detail::clockMs(CLOCK_REALTIME_COARSE);
}

}  // namespace osprey::timer
