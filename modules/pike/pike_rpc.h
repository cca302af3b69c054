// pike's RPC method: pike.top (and its alias pike.list), Kamailio's answer shape.
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::pike {

std::span<const rpc::Method> rpcMethods();

}  // namespace osprey::pike
