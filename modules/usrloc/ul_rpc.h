// usrloc's RPC methods, with Kamailio's names, parameters and result keys: ul.dump [brief],
// ul.lookup table AOR, ul.rm table AOR, ul.rm_contact table AOR contact, ul.add table AOR
// contact expires [q path flags cflags methods], ul.flush. A dump locks one slot at a time.
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::usrloc {

std::span<const rpc::Method> rpcMethods();

}  // namespace osprey::usrloc
