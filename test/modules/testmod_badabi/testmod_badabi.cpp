// Test-only module claiming another module ABI version (the loader must refuse it).
#include "core/module/module_export.h"

OSPREY_MODULE_EXPORT = {
    .abi = 999,
    .name = "testmod_badabi",
};
