// Validates configured module parameters against the module's declarations and writes them to
// the module's variables: defaults first, then the values from the config. Every problem is
// reported with where it was written, the module and the parameter.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/module/module_export.h"

namespace osprey::module {

// Conversions a Kamailio user expects: an integer parameter takes true/false (1/0), a boolean
// one takes 0/1, a float one takes integers. Anything else of the wrong type is an error.
bool applyParams(const ModuleExport& mod, std::span<const config::Param> params,
                 std::vector<std::string>* errors);

}  // namespace osprey::module
