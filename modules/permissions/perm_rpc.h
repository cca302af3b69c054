// permissions' RPC methods: addressReload, addressDump, subnetDump (Kamailio's answers).
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::permissions {

std::span<const rpc::Method> rpcMethods();

}  // namespace osprey::permissions
