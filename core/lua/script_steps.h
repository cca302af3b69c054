// The start-up and shutdown steps of the Lua script; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"

namespace osprey::lua {

// Check: compiles the script and loads it once into a throw-away engine (osprey -c reports errors
// with file:line).
bool checkScriptStep(const app::HookContext& ctx);
// ChildInit: this process's own engine, in processes that run routes.
bool startEngineStep(const app::HookContext& ctx);
// ChildExit.
bool stopEngineStep(const app::HookContext& ctx);

}  // namespace osprey::lua
