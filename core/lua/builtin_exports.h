// The built-in descriptions (the core's KSR functions), in the order their KSR names are
// registered, before those of loaded modules. Other parts of the core that export KSR
// functions (hdr, message tests, forwarding) add their description to the list in the .cpp.
#pragma once
#include <span>

namespace osprey::module {
struct ModuleExport;
}

namespace osprey::lua {

std::span<const module::ModuleExport* const> builtinExports();

}  // namespace osprey::lua
