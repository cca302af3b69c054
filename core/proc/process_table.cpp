#include "core/proc/process_table.h"

#include <new>

namespace osprey::proc {

namespace {
ProcessTable* g_table = nullptr;
}

ProcessTable* createProcessTable() {
    if (g_table) return g_table;
    void* p = mem::shmAllocZero(sizeof(ProcessTable));
    if (!p) return nullptr;
    g_table = new (p) ProcessTable();
    return g_table;
}

void destroyProcessTable() {
    if (!g_table) return;
    g_table->~ProcessTable();
    mem::shmFree(g_table);
    g_table = nullptr;
}

ProcessTable* processTable() {
    return g_table;
}

}  // namespace osprey::proc
