// The table of running processes, in shm so every process (the control process serving
// core.ps, a worker logging who holds a lock) can read it. Only the master writes it.
#pragma once
#include <atomic>
#include <cstdint>

#include "core/proc/rank.h"
#include "mem/shm.h"

namespace osprey::proc {

enum class ProcState : uint8_t { Free, Starting, Ready, Stopping };

// A process's own pkg heap as it last published it (core/proc/pkg_publish.h).
struct PkgCounters {
    std::atomic<uint64_t> total{0};
    std::atomic<uint64_t> used{0};
    std::atomic<uint64_t> realUsed{0};
    std::atomic<uint64_t> free{0};
    std::atomic<uint64_t> fragments{0};
    std::atomic<int64_t> updatedMs{0};  // 0: not yet published
};

struct ProcessEntry {
    std::atomic<int32_t> pid{0};
    std::atomic<ProcState> state{ProcState::Free};
    Rank rank = Rank::Master;
    uint16_t index = 0;     // among processes of the same kind
    uint16_t kind = 0;      // index into declaredProcesses() at fork time
    uint32_t restarts = 0;  // how many times this slot was re-forked
    int64_t startedMs = 0;  // CLOCK_REALTIME of the last fork
    char name[32] = {};     // log prefix, e.g. "sip#2"
    PkgCounters pkg;        // written by the process itself
};

struct ProcessTable {
    static constexpr unsigned kSlots = mem::kMaxProcesses;
    ProcessEntry entries[kSlots];   // slot 0 is the master
    std::atomic<uint32_t> used{0};  // slots 0..used-1 have been assigned
};

// Creates the table in shm (master, after shmInit); nullptr when shm is exhausted.
ProcessTable* createProcessTable();
void destroyProcessTable();
// The table, or nullptr before createProcessTable (inherited by children through fork).
ProcessTable* processTable();

}  // namespace osprey::proc
