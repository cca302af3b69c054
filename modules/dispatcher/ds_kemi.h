// The script functions (KSR.dispatcher.*, Kamailio's KEMI names) and the per-message /
// per-transaction data that carries a selection from the request route to the failure route.
#pragma once
#include <span>

#include "core/lua/function_spec.h"
#include "core/route/msg_extension.h"

namespace osprey::dispatcher {

std::span<const lua::FunctionSpec> kemiFunctions();
extern const route::MsgExtension kMsgExtension;

}  // namespace osprey::dispatcher
