#include "core/proc/pkg_publish.h"

#include "core/proc/child.h"
#include "core/proc/process_table.h"
#include "core/timer/clock.h"
#include "mem/pkg.h"

namespace osprey::proc {

namespace {
int64_t g_lastMs = 0;
}

void publishPkgStats(bool force) noexcept {
    ProcessTable* t = processTable();
    if (t == nullptr || !mem::pkgReady()) return;
    const int64_t now = timer::coarseNowMs();
    if (!force && now - g_lastMs < kPkgPublishIntervalMs) return;
    g_lastMs = now;
    const unsigned slot = self().slot;
    if (slot >= ProcessTable::kSlots) return;
    const mem::HeapStats st = mem::pkgStats();
    PkgCounters& c = t->entries[slot].pkg;
    c.total.store(st.total, std::memory_order_relaxed);
    c.used.store(st.used, std::memory_order_relaxed);
    c.realUsed.store(st.realUsed, std::memory_order_relaxed);
    c.free.store(st.freeBytes, std::memory_order_relaxed);
    c.fragments.store(st.freeFragments, std::memory_order_relaxed);
    c.updatedMs.store(now, std::memory_order_relaxed);
}

}  // namespace osprey::proc
