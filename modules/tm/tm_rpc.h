// tm's RPC methods, with Kamailio's names: tm.stats (counters), tm.list (live transactions,
// one bucket locked at a time), tm.cancel callid cseq (CANCELs the pending branches of an
// INVITE transaction, as Kamailio's does: no 487 is faked, the branches answer or time out).
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::tm {

std::span<const rpc::Method> rpcMethods();

}  // namespace osprey::tm
