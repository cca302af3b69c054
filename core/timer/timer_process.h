// The shared timer wheel and the process that drives it (docs/design.md §2 "timer processes"). A
// user (tm) calls startTimers() from its init in the master, before fork: the wheel is created in
// shm and a Rank::Timer process is declared, which advances the wheel on CLOCK_MONOTONIC
// milliseconds every kTickMs and runs the handlers that come due (they may send messages and
// run Lua failure routes: the timer process has its own Lua engine).
#pragma once
#include <cstdint>

#include "core/timer/timer_wheel.h"

namespace osprey::timer {

// How often the timer process advances the wheel: the granularity timers really have.
inline constexpr int kTickMs = 5;

// Master, before fork; idempotent. False (logged) when shm is exhausted.
bool startTimers();
// The shared wheel; nullptr until startTimers().
TimerWheel* sharedWheel();
}  // namespace osprey::timer
