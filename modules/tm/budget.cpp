// tm's shm budget: the limits' arithmetic and the shared counts.
#include "modules/tm/budget.h"

#include <new>

#include "mem/shm.h"

namespace osprey::tm {

namespace {
BudgetState* g_budget = nullptr;
}

int64_t bytesLimit(size_t segmentBytes, int percent) {
    if (percent >= 100 || percent <= 0) return 0;
    return static_cast<int64_t>(segmentBytes / 100 * static_cast<size_t>(percent) +
                                segmentBytes % 100 * static_cast<size_t>(percent) / 100);
}

Admit admit(const BudgetLimits& limits, int64_t heldBytes, int64_t liveCount) {
    if (limits.maxCount > 0 && liveCount >= limits.maxCount) return Admit::OverCount;
    if (limits.maxBytes > 0 && heldBytes >= limits.maxBytes) return Admit::OverBytes;
    return Admit::Ok;
}

// Always a new one: init may run again in one process (tests) after the segment that held the
// previous one was destroyed, so the old pointer is not followed.
bool createBudget(const BudgetLimits& limits) {
    void* p = mem::shmAllocZero(sizeof(BudgetState));
    if (p == nullptr) return false;
    g_budget = new (p) BudgetState();
    g_budget->limits = limits;
    return true;
}

void destroyBudget() {
    if (g_budget == nullptr) return;
    g_budget->~BudgetState();
    mem::shmFree(g_budget);
    g_budget = nullptr;
}

BudgetState* budget() {
    return g_budget;
}

}  // namespace osprey::tm
