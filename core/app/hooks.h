// Start-up and shutdown stages other parts of the core plug into, so main.cpp stays a short
// list of steps and a new subsystem (module loader, Lua engine, transports) adds itself
// without editing it. Register with a static HookRegistrar in the subsystem's .cpp (the
// binary links core with --whole-archive, so those initializers always run).
//
//   Check       master, config loaded, no shm yet; also runs for `osprey -c`
//               (modules found, parameters valid, script compiles).
//   MasterInit  master, after shm and pkg exist, before fork: module init, open sockets,
//               declare process kinds (proc::declareProcesses). Not run for -c.
//   ChildInit   each child after fork, heaps ready, before its main (modules' childInit).
//   ChildExit   each child on a clean stop, before it exits.
//   MasterExit  master after every child was reaped, before shm is released.
//
// Hooks of a stage run by ascending order; exit stages run in descending order. A Check,
// MasterInit or ChildInit hook returns false after logging why: start-up stops there.
#pragma once

#include "core/config/config.h"
#include "core/proc/process_kind.h"

namespace osprey::app {

enum class Stage { Check, MasterInit, ChildInit, ChildExit, MasterExit };

struct HookContext {
    const config::Config& cfg;
    bool checkOnly = false;                     // osprey -c
    const proc::ChildContext* child = nullptr;  // ChildInit / ChildExit
};

using HookFn = bool (*)(const HookContext& ctx);

// Well-known orders, so related hooks sort predictably.
inline constexpr int kOrderModules = 100;
inline constexpr int kOrderScript = 200;
inline constexpr int kOrderTransport = 300;

void addHook(Stage stage, int order, const char* name, HookFn fn);
// Runs the stage's hooks; false as soon as one fails (exit stages run all and return true).
bool runHooks(Stage stage, const HookContext& ctx);

struct HookRegistrar {
    HookRegistrar(Stage stage, int order, const char* name, HookFn fn) {
        addHook(stage, order, name, fn);
    }
};

}  // namespace osprey::app
