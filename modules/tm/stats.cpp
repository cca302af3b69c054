// tm's counters in shm.
#include "modules/tm/stats.h"

#include <new>

#include "mem/shm.h"

namespace osprey::tm {

namespace {
Stats g_local;
Stats* g_stats = &g_local;
}  // namespace

Stats& stats() {
    return *g_stats;
}

bool initStats() {
    void* p = mem::shmAllocZero(sizeof(Stats));
    if (p == nullptr) return false;
    g_stats = new (p) Stats();
    return true;
}

}  // namespace osprey::tm
