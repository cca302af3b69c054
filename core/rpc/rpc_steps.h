// The control plane's start-up and shutdown steps; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"

namespace osprey::rpc {

// Check: the rpc settings are valid.
bool checkRpcSettings(const app::HookContext& ctx);
// MasterInit, after the modules' init: registers the core's and the modules' methods, opens
// the listeners and declares the control process.
bool startRpcStep(const app::HookContext& ctx);
// ChildInit: a child other than the control process closes the control sockets it inherited
// (a SIP worker has no business holding them open).
bool childRpcStep(const app::HookContext& ctx);
// ChildInit: the child's first pkg heap counters for pkg.stats (core/proc/pkg_publish.h).
bool publishPkgStep(const app::HookContext& ctx);
// MasterExit: closes the listeners (removing unix socket files).
bool stopRpcStep(const app::HookContext& ctx);

}  // namespace osprey::rpc
