// The kinds of child process the master forks. Each part of the core that needs processes
// declares them before the master forks (main declares the SIP workers; transports, timers
// and the control socket add theirs from their MasterInit hooks), and the supervisor forks
// `count` of each, restarts or stops on their exit per `onExit`.
#pragma once
#include <string>
#include <vector>

#include "core/proc/rank.h"

namespace osprey::proc {

// Identity of one child process, handed to its main function and to childInit hooks.
struct ChildContext {
    Rank rank = Rank::Master;
    unsigned index = 0;  // 0-based among the processes of the same kind
    unsigned slot = 0;   // unique process slot (0 = master), also the shm cache slot
};

// A child's body. Runs after the heaps and childInit hooks are set up; must return (the
// exit status) soon after stopRequested() becomes true. See core/proc/child.h.
using ChildMain = int (*)(const ChildContext& self);

enum class OnExit : uint8_t {
    Restart,   // stateless worker: fork a new one (bounded: too many crashes stop the server)
    Shutdown,  // its state cannot be rebuilt: stop the whole server cleanly
};

struct ProcessKind {
    Rank rank = Rank::SipWorker;
    unsigned count = 1;
    ChildMain main = nullptr;
    OnExit onExit = OnExit::Shutdown;
    std::string name;  // log prefix base, e.g. "sip" -> "sip#0"; defaults to rankName(rank)
    // false: the child is ready once its childInit hooks ran; true: main calls
    // proc::reportReady() itself when it can serve (e.g. after opening sockets).
    bool reportsReady = false;
};

// Adds a kind, replacing an earlier declaration with the same rank and name.
void declareProcesses(ProcessKind kind);
// Removes a declared kind (e.g. a transport that found no TCP listeners).
void undeclareProcesses(Rank rank, const std::string& name = "");
const std::vector<ProcessKind>& declaredProcesses();

}  // namespace osprey::proc
