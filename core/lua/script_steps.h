// The start-up and shutdown steps of the Lua script; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"
#include "core/lua/engine.h"

namespace osprey::lua {

// The engine settings of the config (script path, lua_memory_limit, lua_jit); false after
// logging a bad value.
bool engineOptions(const config::Config& cfg, EngineOptions* out);

// Check: compiles the script and loads it once into a throw-away engine (osprey -c reports errors
// with file:line).
bool checkScriptStep(const app::HookContext& ctx);
// MasterInit: publishes the checked script as generation 1 and makes SIGHUP reload it.
bool publishScriptStep(const app::HookContext& ctx);
// MasterExit.
bool unpublishScriptStep(const app::HookContext& ctx);
// ChildInit: this process's own engine, from the published script, in processes that run
// routes.
bool startEngineStep(const app::HookContext& ctx);
// ChildExit.
bool stopEngineStep(const app::HookContext& ctx);

}  // namespace osprey::lua
