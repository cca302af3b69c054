// The stages of start-up and shutdown, and running one of them. The steps of every stage, in
// the order they run, are one list in core/app/startup.cpp: a reader sees the whole sequence
// there, and a new subsystem adds its steps to that list.
//
//   Check       master, config loaded, no shm yet; also runs for `osprey -c`
//               (modules found, parameters valid, script compiles).
//   MasterInit  master, after shm and pkg exist, before fork: module init, open sockets,
//               declare process kinds (proc::declareProcesses). Not run for -c.
//   ChildInit   each child after fork, heaps ready, before its main (modules' childInit).
//   ChildExit   each child on a clean stop, before it exits.
//   MasterExit  master after every child was reaped, before shm is released.
//
// A Check, MasterInit or ChildInit step returns false after logging why: start-up stops
// there. Exit stages run every step.
#pragma once
#include <span>

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

struct StartupStep {
    Stage stage;
    const char* name;  // for logs: "open UDP sockets"
    HookFn fn;
};

// Every step of every stage, in the order they run (core/app/startup.cpp).
std::span<const StartupStep> startupSteps();

// Runs the stage's steps; false as soon as one fails (exit stages run all and return true).
bool runHooks(Stage stage, const HookContext& ctx);

}  // namespace osprey::app
