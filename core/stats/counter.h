// The hot path of the statistics framework (docs/stats.md): handles and the increments.
//
// Every process owns one row of values in shm (its process slot's row, cache-line aligned,
// never shared with another writer), so an increment is a relaxed load and a relaxed store of
// the process's own slot: no lock, no locked read-modify-write, no cache line bouncing between
// workers. Readers sum the rows. Until the table exists (the master before
// stats::createTable, unit tests) the row is a private one; createTable moves what it holds
// into the master's shm row.
//
//     stats::Counter g_accepted = stats::declareCounter("registrar", "accepted_regs", "...");
//     stats::inc(g_accepted);
//
// A handle that was never declared (or whose declaration failed) is id 0: a sink row entry
// nobody reads, so an increment never needs a branch.
#pragma once
#include <atomic>
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
using Cell = std::atomic<int64_t>;
extern Cell* g_ownRow;     // this process's row
extern Cell* g_masterRow;  // slot 0's row: where shared levels (Level gauges) live

// Single writer per cell: a relaxed load and store is enough (and far cheaper than fetch_add).
inline void bump(Cell& c, int64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
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
    detail::g_masterRow[g.id].store(v, std::memory_order_relaxed);
}
// A PerProcess gauge: this process's own value (its pkg heap use, its Lua memory).
inline void setOwn(Gauge g, int64_t v) noexcept {
    detail::g_ownRow[g.id].store(v, std::memory_order_relaxed);
}

}  // namespace osprey::stats
