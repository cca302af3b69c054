// The child side of the process model: what a child's main loop uses to learn it must stop,
// to report that it is ready, and who it is. A child's control signals (SIGTERM, SIGINT,
// SIGUSR1, SIGHUP) are blocked and delivered through a signalfd, so a loop adds signalFd()
// to its epoll set and calls handleSignals() when it is readable:
//
//     proc::reportReady();                       // if ProcessKind::reportsReady
//     while (!proc::stopRequested()) {
//         int n = epoll_wait(ep, evs, 64, 1000); // signalFd() is in the set
//         ... on signalFd() readable or timeout: proc::handleSignals();
//     }
//     return 0;
//
// The child also stops when the master dies (PR_SET_PDEATHSIG, and handleSignals() checks
// the parent pid), so no process outlives the server.
#pragma once

#include "core/proc/process_kind.h"

namespace osprey::proc {

// Who this process is (rank Master with slot 0 in the master).
const ChildContext& self();
bool isMaster();

int signalFd();
// Drains pending control signals: SIGTERM/SIGINT request a stop, SIGUSR1 logs this process's
// heap stats. Also requests a stop when the master is gone. Returns !stopRequested().
bool handleSignals();
// Work done at the end of every handleSignals() that does not end in a stop, i.e. between
// messages, at least every receive timeout whether busy or idle (the Lua script's switch to a
// reloaded generation: core/lua/script_reload.h). nullptr for none.
void setWakeWork(void (*work)() noexcept);
bool stopRequested();
void requestStop();
// Tells the master this child can serve (once; later calls do nothing).
void reportReady();

// Exit statuses a child uses for start-up failures, so the master's log says what failed.
inline constexpr int kExitHeapInit = 70;
inline constexpr int kExitHookFailed = 71;
inline constexpr int kExitNoMain = 73;

namespace detail {
// Fork-side entry, used by the supervisor: turns the just-forked process into the child
// `ctx` and never returns.
struct ChildSetup {
    ChildContext ctx;
    const ProcessKind* kind;
    const char* name;  // log prefix
    int masterPid;
    int readyFd;      // write end of the master's ready pipe
    int closeFds[2];  // master-only descriptors to close (-1 when unused)
    size_t pkgBytes;
};
[[noreturn]] void runChild(const ChildSetup& setup);
}  // namespace detail

}  // namespace osprey::proc
