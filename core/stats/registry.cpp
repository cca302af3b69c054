// Declared statistics (private, inherited through fork) and the rows of values in shm.
#include "core/stats/registry.h"

#include <cstring>

#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/proc/process_kind.h"
#include "core/stats/core_stats.h"
#include "mem/shm.h"

namespace osprey::stats {

namespace detail {
// Before the table exists: the master's (and a unit test's) private row.
alignas(64) Cell g_privateRow[kMaxStats];
Cell* g_ownRow = g_privateRow;
Cell* g_masterRow = g_privateRow;
}  // namespace detail

namespace {

using detail::Cell;

// Rows are kMaxStats cells (4 KiB): every row starts on its own cache lines.
constexpr size_t kRowBytes = sizeof(Cell) * kMaxStats;
static_assert(kRowBytes % 64 == 0);

StatInfo g_info[kMaxStats];  // [0] is the sink
unsigned g_count = 0;
bool g_coreDeclared = false;

void* g_block = nullptr;  // the shm allocation
Cell* g_rows = nullptr;   // row r at g_rows + r * kMaxStats; row g_nRows holds the reset bases
unsigned g_nRows = 0;

// The core's own statistics take the first ids, in core_stats.h's order, so the core's hot
// path uses compile-time ids.
void ensureCore() {
    if (g_coreDeclared) return;
    g_coreDeclared = true;
    declareCoreStats();
}

bool fits(std::string_view s, unsigned max) {
    return !s.empty() && s.size() <= max;
}

uint16_t declare(std::string_view group, std::string_view name, const char* help, Kind kind,
                 ReadFn fn, uintptr_t arg, uint8_t flags) {
    ensureCore();
    if (!fits(group, kMaxGroupLen) || !fits(name, kMaxNameLen)) {
        LM_ERR("statistic '%.*s:%.*s': group or name empty or too long",
               static_cast<int>(group.size()), group.data(), static_cast<int>(name.size()),
               name.data());
        return 0;
    }
    if (const uint16_t id = findStat(group, name); id != 0) {
        if (g_info[id].kind == kind) return id;
        LM_ERR("statistic '%s:%s' declared twice with different kinds", g_info[id].group,
               g_info[id].name);
        return 0;
    }
    if (!proc::isMaster()) {
        LM_ERR("statistic '%.*s:%.*s' declared after fork: declare it in the module's init",
               static_cast<int>(group.size()), group.data(), static_cast<int>(name.size()),
               name.data());
        return 0;
    }
    if (g_count + 1 >= kMaxStats) {
        LM_ERR("too many statistics (at most %u): '%.*s:%.*s' not declared", kMaxStats - 1,
               static_cast<int>(group.size()), group.data(), static_cast<int>(name.size()),
               name.data());
        return 0;
    }
    const uint16_t id = static_cast<uint16_t>(++g_count);
    StatInfo& s = g_info[id];
    group.copy(s.group, group.size());
    s.group[group.size()] = '\0';
    name.copy(s.name, name.size());
    s.name[name.size()] = '\0';
    s.help = help != nullptr ? help : "";
    s.kind = kind;
    s.fn = fn;
    s.arg = arg;
    s.flags = flags;
    return id;
}

Cell* row(unsigned r) {
    return g_rows + static_cast<size_t>(r) * kMaxStats;
}

}  // namespace

Counter declareCounter(std::string_view group, std::string_view name, const char* help,
                       uint8_t flags) {
    return Counter{declare(group, name, help, Kind::Counter, nullptr, 0, flags)};
}

Gauge declareGauge(std::string_view group, std::string_view name, const char* help, Kind kind) {
    if (kind == Kind::Counter || kind == Kind::Func) {
        LM_ERR("statistic '%.*s': a gauge must be Gauge, Level or PerProcess",
               static_cast<int>(name.size()), name.data());
        return Gauge{};
    }
    return Gauge{declare(group, name, help, kind, nullptr, 0, kNoReset)};
}

Gauge declareFunc(std::string_view group, std::string_view name, const char* help, ReadFn fn,
                  uintptr_t arg) {
    if (fn == nullptr) return Gauge{};
    return Gauge{declare(group, name, help, Kind::Func, fn, arg, kNoReset)};
}

bool declareGroup(std::string_view group, std::span<const Def> defs) {
    bool ok = true;
    for (const Def& d : defs) {
        const uint16_t id =
            d.kind == Kind::Counter ? declareCounter(group, d.name, d.help, d.flags).id
            : d.kind == Kind::Func  ? declareFunc(group, d.name, d.help, d.fn, d.arg).id
                                    : declareGauge(group, d.name, d.help, d.kind).id;
        if (d.id != nullptr) *d.id = id;
        ok = ok && id != 0;
    }
    return ok;
}

unsigned statCount() {
    ensureCore();
    return g_count;
}

const StatInfo& statInfo(uint16_t id) {
    return g_info[id < kMaxStats ? id : 0];
}

uint16_t findStat(std::string_view group, std::string_view name) {
    ensureCore();
    for (unsigned i = 1; i <= g_count; ++i) {
        if (g_info[i].nameView() == name && g_info[i].groupView() == group) {
            return static_cast<uint16_t>(i);
        }
    }
    return 0;
}

bool createTable(unsigned rows) {
    ensureCore();
    if (g_rows != nullptr) return true;
    if (rows == 0) rows = 1;
    // One row per slot, the reset bases, and room to align the first row to a cache line.
    const size_t bytes = kRowBytes * (rows + 1) + 64;
    void* p = mem::shmAllocZero(bytes);
    if (p == nullptr) {
        LM_ERR("no shared memory for the statistics (%zu bytes for %u processes)", bytes, rows);
        return false;
    }
    g_block = p;
    const uintptr_t aligned = (reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t{63};
    g_rows = reinterpret_cast<Cell*>(aligned);  // zeroed by shmAllocZero
    g_nRows = rows;
    // What the master counted before (module init loading registrations) moves into its row.
    Cell* master = row(0);
    for (unsigned i = 0; i < kMaxStats; ++i) detail::store(master[i], detail::g_privateRow[i]);
    detail::g_ownRow = master;
    detail::g_masterRow = master;
    return true;
}

unsigned rowsForDeclaredProcesses() {
    unsigned n = 1;
    for (const proc::ProcessKind& k : proc::declaredProcesses()) n += k.count;
    return n;
}

void attachProcess(unsigned slot) {
    if (g_rows == nullptr) return;
    if (slot >= g_nRows) {
        LM_ERR("process slot %u has no statistics row (%u rows): its counts stay private", slot,
               g_nRows);
        detail::g_ownRow = detail::g_privateRow;
        return;
    }
    detail::g_ownRow = row(slot);
}

void detachTable() {
    if (g_rows == nullptr) return;
    detail::g_ownRow = detail::g_privateRow;
    detail::g_masterRow = detail::g_privateRow;
    mem::shmFree(g_block);
    g_block = nullptr;
    g_rows = nullptr;
    g_nRows = 0;
}

bool tableReady() {
    return g_rows != nullptr;
}

unsigned tableRows() {
    return g_rows != nullptr ? g_nRows : 1;
}

int64_t rowValue(unsigned r, uint16_t id) {
    const Cell* cells = g_rows != nullptr ? row(r) : detail::g_privateRow;
    return detail::load(cells[id]);
}

// Reset keeps a base per statistic instead of zeroing other processes' cells: a cell has one
// writer (its process), so the reader never stores into it and no increment is lost.
int64_t resetBase(uint16_t id) {
    if (g_rows == nullptr) return 0;
    return detail::load(row(g_nRows)[id]);
}

void setResetBase(uint16_t id, int64_t v) {
    if (g_rows == nullptr) {
        // No table (unit tests): this process is the only writer, zero the private row.
        detail::store(detail::g_privateRow[id], 0);
        return;
    }
    detail::store(row(g_nRows)[id], v);
}

}  // namespace osprey::stats
