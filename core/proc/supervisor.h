// The master's supervision loop (docs/design.md §2): forks every declared process kind, waits until
// all report ready (then writes the pid file), reaps children and logs why each died,
// restarts the restartable ones within a crash budget or stops the server, and on
// SIGTERM/SIGINT stops everything: SIGTERM to each child, SIGKILL to any still alive after
// the grace period, reap all by pid.
#pragma once
#include <cstddef>
#include <string>

#include "core/proc/stop_grace.h"

namespace osprey::proc {

struct SupervisorOptions {
    std::string pidFile;                       // "" for none; written when ready, removed at exit
    int notifyFd = -1;                         // daemon launcher: one byte, 0 = ready, 1 = failed
    size_t pkgBytes = 8u << 20;                // each child's private heap
    unsigned maxRestarts = 5;                  // crashes tolerated within restartWindowMs ...
    int restartWindowMs = 30000;               // ... before the server stops instead of restarting
    int startTimeoutMs = 30000;                // every child must be ready by then
    int stopTimeoutMs = defaultStopGraceMs();  // grace after SIGTERM, then SIGKILL
};

// Blocks the master's control signals (SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP) so
// they queue for the supervisor's signalfd. Call early in main, before any fork.
void blockMasterSignals();

// What SIGHUP does in the master (the Lua script's reload, set by its start-up step); without
// one SIGHUP is logged and ignored.
void setHangupAction(void (*action)());

// Runs until the server stops; returns the process exit status (0 after a requested stop,
// 1 after a failure). Requires shm and the process table; never returns in a child.
int runMaster(const SupervisorOptions& opts);

}  // namespace osprey::proc
