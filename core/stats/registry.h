// Declaring statistics, and the table of their values in shm (docs/stats.md).
//
// Statistics carry Kamailio's `group:name` names. The core and modules declare them in the
// master before fork (module init, or a MasterInit step), so every process inherits the same
// descriptors and ids; createTable (the last MasterInit step) then places one row of values
// per process slot in shm. A child attaches to its slot's row after fork; a process the
// supervisor restarts in the same slot keeps adding to that row, so what a dead process
// counted stays in the totals.
//
// Kinds:
//   Counter     only grows; each process adds to its own row; reset by stats.reset_statistics
//               unless declared kNoReset
//   Gauge       a sum of +/- from any process (transactions in use, contacts): never reset
//   Level       one server-wide value set by whoever knows it (a configured maximum)
//   PerProcess  each process stores its own value (pkg heap used); reads give the sum and
//               the value per process
//   Func        computed when read, in the reading process (shm used, registered users)
//
// A module declares a group from one table:
//
//     stats::Counter g_accepted;
//     const stats::Def kStats[] = {
//         stats::counterDef("accepted_regs", &g_accepted, "REGISTER requests accepted"),
//         stats::funcDef("registered_users", &registeredUsers, "address-of-records now"),
//     };
//     ... in init: if (!stats::declareGroup("registrar", kStats)) return false;
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "core/stats/counter.h"

namespace osprey::stats {

enum class Kind : uint8_t { Counter, Gauge, Level, PerProcess, Func };

inline constexpr uint8_t kNoReset = 1;  // Kamailio's STAT_NO_RESET

using ReadFn = int64_t (*)(uintptr_t arg);

inline constexpr unsigned kMaxGroupLen = 23;
inline constexpr unsigned kMaxNameLen = 55;

// One declared statistic. Private memory, the same in every process (declared before fork).
struct StatInfo {
    char group[kMaxGroupLen + 1] = {};
    char name[kMaxNameLen + 1] = {};
    const char* help = "";  // static text
    Kind kind = Kind::Counter;
    uint8_t flags = 0;
    ReadFn fn = nullptr;  // Func
    uintptr_t arg = 0;    // passed to fn

    std::string_view groupView() const { return group; }
    std::string_view nameView() const { return name; }
    bool resettable() const { return kind == Kind::Counter && (flags & kNoReset) == 0; }
};

// Each returns the handle, or the sink handle (id 0) after logging why (table full, name too
// long, declared after fork). Declaring the same group and name again with the same kind
// returns the same handle (modules initialised twice in unit tests).
Counter declareCounter(std::string_view group, std::string_view name, const char* help,
                       uint8_t flags = 0);
Gauge declareGauge(std::string_view group, std::string_view name, const char* help,
                   Kind kind = Kind::Gauge);
Gauge declareFunc(std::string_view group, std::string_view name, const char* help, ReadFn fn,
                  uintptr_t arg = 0);

// A declarative table entry; the handle it fills is a Counter's or a Gauge's id.
struct Def {
    const char* name;
    Kind kind;
    const char* help;
    uint16_t* id;  // filled by declareGroup (nullptr for Func entries nobody updates)
    ReadFn fn = nullptr;
    uintptr_t arg = 0;
    uint8_t flags = 0;
};
constexpr Def counterDef(const char* name, Counter* h, const char* help, uint8_t flags = 0) {
    return Def{name, Kind::Counter, help, &h->id, nullptr, 0, flags};
}
constexpr Def gaugeDef(const char* name, Gauge* h, const char* help, Kind kind = Kind::Gauge) {
    return Def{name, kind, help, &h->id, nullptr, 0, 0};
}
constexpr Def funcDef(const char* name, ReadFn fn, const char* help, uintptr_t arg = 0) {
    return Def{name, Kind::Func, help, nullptr, fn, arg, 0};
}
// False (logged) when one of the table's statistics could not be declared.
bool declareGroup(std::string_view group, std::span<const Def> defs);

// Declared statistics, in declaration order; id 0 is the sink and not listed.
unsigned statCount();  // ids 1..statCount()
const StatInfo& statInfo(uint16_t id);
// 0 when unknown.
uint16_t findStat(std::string_view group, std::string_view name);

// --- the shm table -------------------------------------------------------------------------
// Master, after shmInit, before fork: one row per process slot (0 = master). What the master
// counted so far moves into its row. False (logged) when shm is exhausted.
bool createTable(unsigned rows);
// 1 + every declared process (core/proc/process_kind.h): the rows createTable needs.
unsigned rowsForDeclaredProcesses();
// A child after fork: its slot's row (a slot beyond the table counts privately, logged once).
void attachProcess(unsigned slot);
// Master at exit, before shm is released: back to the private row.
void detachTable();
bool tableReady();

// Reading (core/stats/read.h builds on these).
unsigned tableRows();
int64_t rowValue(unsigned row, uint16_t id);
int64_t resetBase(uint16_t id);
void setResetBase(uint16_t id, int64_t v);

}  // namespace osprey::stats
