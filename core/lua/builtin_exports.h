// The built-in descriptions (the core's KSR functions), in the order their KSR names are
// registered, before those of loaded modules: the "core" description (logging, flags, KSR.x)
// first, then those other parts of the core add with a static BuiltinExportRegistrar in their
// own .cpp (message tests and forwarding in core/route, ...), sorted by name so the order does
// not depend on link order. The binary links core whole, so every registrar runs there; a unit
// test sees only the registrars of the objects it links.
#pragma once
#include <span>

namespace osprey::module {
struct ModuleExport;
}

namespace osprey::lua {

std::span<const module::ModuleExport* const> builtinExports();

// Adds a description; call before the first builtinExports() (i.e. from a static initializer).
void addBuiltinExport(const module::ModuleExport* desc);

struct BuiltinExportRegistrar {
    explicit BuiltinExportRegistrar(const module::ModuleExport& desc) { addBuiltinExport(&desc); }
};

}  // namespace osprey::lua
