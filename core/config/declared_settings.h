// Internal to core/config: the registry behind declareSetting().
#pragma once
#include <string>
#include <vector>

#include "core/config/config.h"

namespace osprey::config {

struct DeclaredSetting {
    std::string name;
    ParamType type;
};

std::vector<DeclaredSetting>& declaredSettings();
std::vector<std::string>& declaredGroups();

}  // namespace osprey::config
