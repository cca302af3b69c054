// The start-up and shutdown steps of the router; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"

namespace osprey::route {

// MasterInit, once the sockets are open: the "myself" set (ports left to the kernel are known
// then).
bool initMyself(const app::HookContext& ctx);

}  // namespace osprey::route
