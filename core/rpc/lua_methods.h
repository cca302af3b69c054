// The Lua engine's RPC methods, with Kamailio's app_lua names: app_lua.reload (check, then
// publish the script to every process; docs/reload.md), app_lua.list, and Osprey's
// app_lua.status (which generation each process runs).
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::rpc {

std::span<const Method> luaMethods();

}  // namespace osprey::rpc
