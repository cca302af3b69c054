// Test-only module depending on testmod_cycle2 (dependency error tests).
#include "core/module/module_export.h"

namespace {
constexpr const char* kDeps[] = {"testmod_cycle2"};
}

OSPREY_MODULE_EXPORT = {
    .name = "testmod_cycle1",
    .deps = kDeps,
};
