// Test-only module depending on testmod_nonexistent (dependency error tests).
#include "core/module/module_export.h"

namespace {
constexpr const char* kDeps[] = {"testmod_nonexistent"};
}

OSPREY_MODULE_EXPORT = {
    .name = "testmod_needs_missing",
    .deps = kDeps,
};
