// The registrar's parameters and its handle on usrloc, shared by save and lookup.
#pragma once
#include "modules/usrloc/api.h"

namespace osprey::registrar {

struct Settings {
    int defaultExpires = 3600;
    int minExpires = 1;
    int maxExpires = 3600;
    int maxContacts = 0;     // 0 = no limit
    int appendBranches = 1;  // lookup: 1 the other bindings become branches, 0 R-URI only
};

// A snapshot of the parameters as every process sees them now (they can change at run time:
// cfg.set registrar max_contacts 5).
Settings settings();
const usrloc::Api* ul();  // set by the module's init (usrloc is a dependency)

}  // namespace osprey::registrar
