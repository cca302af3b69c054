// The timer process: advances the shared wheel until asked to stop.
#include "core/timer/timer_process.h"

#include <poll.h>

#include <new>

#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/proc/pkg_publish.h"
#include "core/proc/process_kind.h"
#include "core/timer/clock.h"
#include "mem/shm.h"

namespace osprey::timer {

namespace {

TimerWheel* g_wheel = nullptr;

// How often the loop looks at its signals (and wake work: a reloaded script) without one.
constexpr int64_t kLookMs = 100;

int timerMain(const proc::ChildContext&) {
    proc::reportReady();
    int64_t lastLook = nowMs();
    while (!proc::stopRequested()) {
        pollfd p{proc::signalFd(), POLLIN, 0};
        const bool signalled = poll(&p, 1, kTickMs) > 0;
        const int64_t now = nowMs();
        if (signalled || now - lastLook >= kLookMs) {
            lastLook = now;
            proc::handleSignals();
        }
        g_wheel->advance(static_cast<uint64_t>(nowMs()));
        proc::publishPkgStats();
    }
    return 0;
}

}  // namespace

bool startTimers() {
    if (g_wheel != nullptr) return true;
    void* p = mem::shmAlloc(sizeof(TimerWheel));
    if (p == nullptr) {
        LM_ERR("timer: out of shared memory for the timer wheel");
        return false;
    }
    g_wheel = new (p) TimerWheel(static_cast<uint64_t>(nowMs()));
    proc::declareProcesses(
        proc::ProcessKind{proc::Rank::Timer, 1, timerMain, proc::OnExit::Shutdown, "timer", true});
    return true;
}

TimerWheel* sharedWheel() {
    return g_wheel;
}

}  // namespace osprey::timer
