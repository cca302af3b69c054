// The core's own RPC methods, with Kamailio's names, parameters and result keys: core.version,
// core.uptime, core.ps, core.psx, core.shmmem, pkg.stats, core.tcp_info, core.sockets_list,
// system.listMethods, system.methodHelp. Declared like a module's (rpc::method<&f>).
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::rpc {

std::span<const Method> coreMethods();

}  // namespace osprey::rpc
