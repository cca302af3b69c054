// The statistics framework's start-up steps (core/app/startup.cpp lists them): the table in
// shm once every statistic and process kind is declared, each child's row, and the release.
#pragma once
#include "core/app/hooks.h"

namespace osprey::stats {

bool createTableStep(const app::HookContext& ctx);  // MasterInit, last
bool attachStep(const app::HookContext& ctx);       // ChildInit, first
bool detachStep(const app::HookContext& ctx);       // MasterExit, last

}  // namespace osprey::stats
