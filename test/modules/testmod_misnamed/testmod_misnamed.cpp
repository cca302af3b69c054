// Test-only module whose description names another module (the loader must refuse it).
#include "core/module/module_export.h"

OSPREY_MODULE_EXPORT = {
    .name = "something_else",
};
