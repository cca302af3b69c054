// Reading statistics: values, Kamailio's selectors, snapshots and reset. This is the API the
// RPC layer wires into stats.get_statistics, stats.fetch, stats.reset_statistics and
// GET /metrics (docs/stats.md shows the wiring and the answers Kamailio gives):
//
//     for (const std::string& l : stats::getStatistics(args))    // stats.get_statistics
//         reply.add(l);                                           //   "core:rcv_requests = 12"
//     for (const auto& [key, v] : stats::fetch(args))            // stats.fetch
//         st.add(key, std::to_string(v));                         //   {"core.rcv_requests": "12"}
//     stats::resetStatistics(args);                               // stats.reset_statistics
//     body = stats::formatPrometheus(stats::select("all"));      // GET /metrics (prometheus.h)
//
// Selectors (Kamailio's): "all"; "group:" (every statistic of the group); a name alone
// ("rcv_requests", the first statistic of that name in any group); "group:name" or
// "group.name". An unknown name selects nothing (Kamailio answers nothing for it either).
//
// Reads run in any process (the control process); they sum every process's row, so a
// value is a moment's total, not a consistent cut across statistics.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/stats/registry.h"

namespace osprey::stats {

// A PerProcess statistic's value in one process slot.
struct ProcessValue {
    unsigned slot = 0;
    int pid = 0;
    std::string name;  // "sip#0", "master"
    int64_t value = 0;
};

// One statistic as read now. Strings are copies: a snapshot outlives nothing it points into.
struct Sample {
    std::string group;
    std::string name;
    std::string help;
    Kind kind = Kind::Counter;
    bool resettable = false;
    int64_t value = 0;
    std::vector<ProcessValue> perProcess;  // PerProcess only: the live processes' values
};
using Snapshot = std::vector<Sample>;

// The current value of one statistic (sum over processes minus the reset base, the level,
// or the function's result).
int64_t value(uint16_t id);
inline int64_t value(Counter c) {
    return value(c.id);
}
inline int64_t value(Gauge g) {
    return value(g.id);
}
// A counter's total since start, ignoring resets: for gauges derived from counters that must
// not jump when someone resets the counters.
int64_t total(Counter c);

// The statistics a selector names, read now, in declaration order.
Snapshot select(std::string_view selector);
// Resets the resettable counters a selector names (others keep their value, as Kamailio's
// kNoReset ones do); returns how many were reset.
unsigned reset(std::string_view selector);

// "group:name = value": one line of stats.get_statistics.
std::string kamailioLine(const Sample& s);
// "group.name": the key of stats.fetch's answer.
std::string fetchKey(const Sample& s);

// Whole answers, for RPC handlers that only copy them out (the selectors one after the other,
// as Kamailio answers several arguments):
// stats.get_statistics: the lines.
std::vector<std::string> getStatistics(std::span<const std::string_view> selectors);
// stats.fetch / stats.fetchn: the members of the answer's struct, "group.name" and the value
// (fetch sends it as a string, fetchn as a number). A statistic two selectors name appears once.
std::vector<std::pair<std::string, int64_t>> fetch(std::span<const std::string_view> selectors);
// stats.reset_statistics: every selector reset; returns how many statistics were.
unsigned resetStatistics(std::span<const std::string_view> selectors);

}  // namespace osprey::stats
