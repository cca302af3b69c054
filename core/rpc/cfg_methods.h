// cfg.get, cfg.set (cfg.seti), cfg.list and cfg.help over the run-time parameters
// (core/module/live_params.h), with Kamailio's cfg_rpc names: group and variable, e.g.
// `cfg.set tm fr_timer 5000`, `cfg.get core debug`. The core's own: core.debug, the log level
// in Kamailio's numbers (-1 err, 0 warn, 1 notice, 2 info, 3 debug), shared by every process.
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::rpc {

std::span<const Method> cfgMethods();
// Master, before fork: puts the log level in shm and registers core.debug; false when shm is
// exhausted.
bool shareCoreSettings();
// Master at shutdown, before shm goes.
void unshareCoreSettings();

}  // namespace osprey::rpc
