// The Lua engine of this process (one lua_State per process, docs/design.md §5). SIP workers start
// it in their child init, after fork, so no Lua state is ever shared between processes; the message
// loop then calls processEngine()->run("ksr_request_route", ctx).
#pragma once
#include <span>
#include <string>

#include "core/lua/engine.h"

namespace osprey::lua {

// Creates (or replaces) this process's engine with the built-in exports followed by the given
// modules' (module::loadedModules().exports()).
bool startProcessEngine(const EngineOptions& options,
                        std::span<const module::ModuleExport* const> modules, std::string* error);
// The same from script text in hand (the published generation); options.scriptPath names it.
bool startProcessEngine(const EngineOptions& options, std::string text,
                        std::span<const module::ModuleExport* const> modules, std::string* error);
Engine* processEngine();  // nullptr before start / after stop
void stopProcessEngine();

}  // namespace osprey::lua
