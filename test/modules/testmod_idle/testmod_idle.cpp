// Test-only module for the process-management tests: declares `children` test workers
// (test/support/idle_worker.h: heap self-test, then wait for signals) as the SIP workers, so a
// server without listeners still has workers to start, crash, restart and stop. The worker's
// code is linked into this module (Makefile), not into the server.
#include "core/config/config.h"
#include "core/module/module_export.h"
#include "core/proc/process_kind.h"
#include "test/support/idle_worker.h"

namespace {

using namespace osprey;

bool modInit() {
    proc::declareProcesses(proc::ProcessKind{proc::Rank::SipWorker, config::current().children,
                                             testsupport::idleWorkerMain, proc::OnExit::Restart,
                                             "sip", true});
    return true;
}

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "testmod_idle",
    .version = "1",
    .init = &modInit,
};
