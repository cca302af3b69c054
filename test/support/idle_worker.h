// A worker for the process-management tests: checks the heaps (heap_selftest.h), reports
// their stats and that it is ready, then waits for control signals. The supervisor tests run
// it in-process; a server gets it from the test-only module testmod_idle
// (test/modules/testmod_idle), which declares these as its SIP workers.
#pragma once

#include "core/proc/process_kind.h"

namespace osprey::testsupport {

// Exit code when the heap self-test fails.
inline constexpr int kExitSelfTest = 72;

int idleWorkerMain(const proc::ChildContext& self);

}  // namespace osprey::testsupport
