// The resolver's start-up steps (core/app/startup.cpp lists when each runs).
#pragma once

#include "core/app/hooks.h"

namespace osprey::dns {

// Check: the dns_* settings are in range and dns_servers parses.
bool checkDnsSettings(const app::HookContext& ctx);
// MasterInit, before the modules' init: the shared cache and queue and the DNS process
// (restarted if it dies). Only when a routing script is configured: without one nothing
// forwards.
bool startDnsStep(const app::HookContext& ctx);

}  // namespace osprey::dns
