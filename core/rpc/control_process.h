// The control process (Rank::Control, "ctl"): one process serving every RPC listener with
// epoll. SIP workers never talk to it, so nothing it does (a slow client, a flood of
// connections, a large dump) can delay a SIP message; the supervisor restarts it if it dies,
// and the listeners it serves were opened by the master, so a new one serves them at once.
#pragma once
#include "core/proc/process_kind.h"
#include "core/rpc/rpc_settings.h"

namespace osprey::rpc {

// Master, before fork: remembers the limits and declares the process.
void declareControlProcess(const RpcSettings& s);

}  // namespace osprey::rpc
