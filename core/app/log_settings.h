// The logging settings of the config file that the core's own fields do not cover:
//   log_format = "text" | "json";       one JSON object per line (core/log/json_record.h)
//   log_prefix = "{$rm $ci} ";          per-message prefix with pvs (core/route/log_prefix.h)
// Applied in the Check stage, in the master, so every process inherits them at fork.
#pragma once

#include "core/app/hooks.h"

namespace osprey::app {

bool configureLogging(const HookContext& ctx);

}  // namespace osprey::app
