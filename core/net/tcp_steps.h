// The start-up and shutdown steps of the TCP transport; core/app/startup.cpp lists when each runs.
#pragma once

#include "core/app/hooks.h"

namespace osprey::net {

// Check: refuses tls: listeners and bad TCP settings.
bool checkTcpSettings(const app::HookContext& ctx);
// MasterInit: TCP listeners, connection table, channels, tcp-main and TCP workers (when the config
// has tcp: listeners).
bool startTcpStep(const app::HookContext& ctx);
// MasterExit.
bool stopTcpStep(const app::HookContext& ctx);

}  // namespace osprey::net
