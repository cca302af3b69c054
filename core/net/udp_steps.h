// The start-up and shutdown steps of the UDP transport; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"

namespace osprey::net {

// MasterInit: the UDP listen sockets and the SIP workers that serve them.
bool openUdpStep(const app::HookContext& ctx);
// MasterExit.
bool closeUdpStep(const app::HookContext& ctx);

}  // namespace osprey::net
