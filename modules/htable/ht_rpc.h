// htable's RPC methods with Kamailio's names, parameters and answers: htable.dump, get,
// delete, sets, seti, setex, setxs, setxi, flush, reload, store, listTables, stats.
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::htable {

std::span<const rpc::Method> rpcMethods();

}  // namespace osprey::htable
