// The test worker (idle_worker.h).
#include "test/support/idle_worker.h"

#include <poll.h>

#include "core/app/heap_report.h"
#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/proc/process_table.h"
#include "test/support/heap_selftest.h"

namespace osprey::testsupport {

using namespace proc;

int idleWorkerMain(const ChildContext& self) {
    const ProcessTable* table = processTable();
    unsigned sharers = table ? table->used.load() : 1;
    SelfTestResult r = runHeapSelfTest(self.slot, sharers);
    if (!r.ok) {
        LM_ERR("heap self-test failed: %s", r.error);
        return kExitSelfTest;
    }
    LM_INFO("heap self-test ok: %u pkg and %u shm allocations verified", r.pkgAllocs, r.shmAllocs);
    app::logHeapStats(log::Level::Info);
    reportReady();
    while (handleSignals()) {
        pollfd p{signalFd(), POLLIN, 0};
        // The timeout only bounds how late a missed parent death is noticed; PDEATHSIG
        // normally wakes us at once.
        poll(&p, 1, 1000);
    }
    return 0;
}

}  // namespace osprey::testsupport
