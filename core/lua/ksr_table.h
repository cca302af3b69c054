// Builds the global KSR table from export descriptions: KSR.<module>.<fn> for module functions,
// KSR.<fn> / KSR.x.<fn> / ... where a function names its table. Each function becomes a C
// closure over (CallState*, "KSR.<table>.<fn>"), the two upvalues trampolines read.
#pragma once
#include <span>

struct lua_State;

namespace osprey::module {
struct ModuleExport;
}

namespace osprey::lua {

struct CallState;

// Must run inside a protected call (lua_cpcall): raises a Lua error naming the clash when two
// exports claim the same KSR name, or on a function without a name.
void pushKsrTable(lua_State* L, CallState* cs,
                  std::span<const module::ModuleExport* const> exports);

}  // namespace osprey::lua
