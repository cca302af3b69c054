// `osprey -c`: checks the Lua script's syntax without running it.
#pragma once
#include <string>

namespace osprey::lua {

// False with *error = "path:line: message" on a syntax error, or why the file cannot be read.
bool checkScriptSyntax(const std::string& path, std::string* error);

}  // namespace osprey::lua
