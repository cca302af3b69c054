// The SIP worker's body until the transports land: checks the heaps, reports their stats,
// then waits for control signals. The UDP loop replaces it by declaring Rank::SipWorker again.
#pragma once

#include "core/proc/process_kind.h"

namespace osprey::proc {

int idleWorkerMain(const ChildContext& self);

}  // namespace osprey::proc
