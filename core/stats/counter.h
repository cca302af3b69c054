// The hot path of the statistics framework (docs/stats.md): handles and the increments.
//
// Every process owns one row of values in shm (its process slot's row, cache-line aligned,
// never shared with another writer), so an increment is a plain add to the process's own cell:
// no lock, no locked read-modify-write, no cache line bouncing between workers. Readers sum
// the rows. Until the table exists (the master before stats::createTable, unit tests) the row
// is a private one; createTable moves what it holds into the master's shm row.
//
//     stats::Counter g_accepted;   // module init: g_accepted = stats::declareCounter(
//                                  //     "registrar", "accepted_regs", "REGISTER requests saved");
//     stats::inc(g_accepted);      // per message
//
// A handle that was never declared (or whose declaration failed) is id 0: a sink row entry
// nobody reads, so an increment never needs a branch.
#pragma once
#include <cstdint>

namespace osprey::stats {

// Most statistics a server declares (core, modules, per-domain usrloc names); row size.
inline constexpr unsigned kMaxStats = 512;

struct Counter {
    uint16_t id = 0;
};
struct Gauge {
    uint16_t id = 0;
};

namespace detail {
// A cell is read by other processes while its owner writes it: every access is atomic (the
// __atomic builtins, relaxed), but only its owner ever writes it.
using Cell = int64_t;
extern Cell* g_ownRow;     // this process's row
extern Cell* g_masterRow;  // slot 0's row: where shared levels (Level gauges) live

inline int64_t load(const Cell& c) noexcept {
    return __atomic_load_n(&c, __ATOMIC_RELAXED);
}
inline void store(Cell& c, int64_t v) noexcept {
    __atomic_store_n(&c, v, __ATOMIC_RELAXED);
}
// Single writer per cell, so no locked read-modify-write is needed. On x86-64 one add to
// memory does it: an aligned 8-byte store is atomic there, so a reader sees the old or the new
// value, and it is one instruction where a relaxed load, add and store are three.
inline void bump(Cell& c, int64_t n) noexcept {
#if defined(__x86_64__)
    asm volatile("addq %1, %0" : "+m"(c) : "er"(n));
#else
    store(c, load(c) + n);
#endif
}
}  // namespace detail

inline void inc(Counter c) noexcept {
    detail::bump(detail::g_ownRow[c.id], 1);
}
inline void add(Counter c, uint64_t n) noexcept {
    detail::bump(detail::g_ownRow[c.id], static_cast<int64_t>(n));
}
// A Sum gauge: any process adds and subtracts (the sum over processes is the value).
inline void add(Gauge g, int64_t delta) noexcept {
    detail::bump(detail::g_ownRow[g.id], delta);
}
inline void inc(Gauge g) noexcept {
    add(g, 1);
}
inline void dec(Gauge g) noexcept {
    add(g, -1);
}
// A Level gauge: one value for the whole server (e.g. a configured maximum, the script
// generation); the last store wins.
inline void setLevel(Gauge g, int64_t v) noexcept {
    detail::store(detail::g_masterRow[g.id], v);
}
// A PerProcess gauge: this process's own value (its pkg heap use, its Lua memory).
inline void setOwn(Gauge g, int64_t v) noexcept {
    detail::store(detail::g_ownRow[g.id], v);
}

}  // namespace osprey::stats
