// The core's own KSR functions that need no module, described exactly like a module's
// (a built-in "core" ModuleExport): logging, script control (KSR.x.*) and message flags.
#pragma once

namespace osprey::module {
struct ModuleExport;
}

namespace osprey::lua {

const module::ModuleExport& coreExport();

}  // namespace osprey::lua
