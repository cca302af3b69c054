// Orders modules so that each one comes after the modules it depends on (their init runs
// first, their destroy last). Modules without a dependency relation keep their config order.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace osprey::module {

struct ModuleExport;

// Fills *order with indexes into mods. A dependency that is not among mods, or a cycle, is an
// error naming the modules involved; then *order is left incomplete and false is returned.
bool dependencyOrder(std::span<const ModuleExport* const> mods, std::vector<size_t>* order,
                     std::vector<std::string>* errors);

// The error text for a dependency that is not loaded.
std::string missingDependency(const char* module, const char* dep);

}  // namespace osprey::module
