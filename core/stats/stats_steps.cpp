// Statistics start-up steps.
#include "core/stats/stats_steps.h"

#include "core/stats/core_stats.h"
#include "core/stats/registry.h"

namespace osprey::stats {

bool createTableStep(const app::HookContext&) {
    declareTcpStats();  // the TCP transport's counters exist by now
    return createTable(rowsForDeclaredProcesses());
}

bool attachStep(const app::HookContext& ctx) {
    if (ctx.child != nullptr) attachProcess(ctx.child->slot);
    return true;
}

bool detachStep(const app::HookContext&) {
    detachTable();
    return true;
}

}  // namespace osprey::stats
