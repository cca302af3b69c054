// The list of built-in export descriptions.
#include "core/lua/builtin_exports.h"

#include "core/lua/core_exports.h"

namespace osprey::lua {

std::span<const module::ModuleExport* const> builtinExports() {
    static const module::ModuleExport* const kList[] = {&coreExport()};
    return kList;
}

}  // namespace osprey::lua
