// The start-up and shutdown steps of the module set; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"

namespace osprey::module {

// Check: loads the configured modules and checks their parameters.
bool loadModules(const app::HookContext& ctx);
// MasterInit: the modules' init.
bool initModules(const app::HookContext& ctx);
// MasterInit, after init: the modules' message extensions (route/msg_extension.h).
bool installMsgExtensions(const app::HookContext& ctx);
// ChildInit: the modules' childInit(rank).
bool childInitModules(const app::HookContext& ctx);
// MasterExit: destroy, in reverse dependency order.
bool destroyModules(const app::HookContext& ctx);

}  // namespace osprey::module
