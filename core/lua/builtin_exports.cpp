// The list of built-in export descriptions.
#include "core/lua/builtin_exports.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/lua/core_exports.h"
#include "core/module/module_export.h"

namespace osprey::lua {

namespace {

std::vector<const module::ModuleExport*>& registered() {
    static std::vector<const module::ModuleExport*> list;
    return list;
}

}  // namespace

void addBuiltinExport(const module::ModuleExport* desc) {
    registered().push_back(desc);
}

std::span<const module::ModuleExport* const> builtinExports() {
    static const std::vector<const module::ModuleExport*> list = [] {
        std::vector<const module::ModuleExport*> added = registered();
        std::sort(added.begin(), added.end(),
                  [](const module::ModuleExport* a, const module::ModuleExport* b) {
                      return std::strcmp(a->name, b->name) < 0;
                  });
        std::vector<const module::ModuleExport*> all{&coreExport()};
        all.insert(all.end(), added.begin(), added.end());
        return all;
    }();
    return list;
}

}  // namespace osprey::lua
