// Checking a routing script before anything runs it: `osprey -c`, the start-up and every reload
// (core/lua/script_reload.h) use the same checks.
#pragma once
#include <string>

#include "core/lua/engine.h"

namespace osprey::lua {

// False with *error = "path:line: message" on a syntax error, or why the file cannot be read.
bool checkScriptSyntax(const std::string& path, std::string* error);

// Loads `text` (named options.scriptPath) into a throw-away engine with the real KSR table (the
// built-ins and the loaded modules' functions): syntax, errors of the top level, the memory cap,
// and ksr_request_route defined. False with *error = "path:line: message" (plus a traceback
// for a top-level runtime error).
bool checkScriptText(const EngineOptions& options, const std::string& text, std::string* error);

}  // namespace osprey::lua
