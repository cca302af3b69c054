// dispatcher.* RPC methods with Kamailio's names, parameters and answer shapes.
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::dispatcher {

std::span<const rpc::Method> rpcMethods();

}  // namespace osprey::dispatcher
