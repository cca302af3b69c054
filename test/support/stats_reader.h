// Reads a running osprey's statistics for integration tests, through the master's
// OSPREY_STATS_DUMP files (core/stats/dump.h): SIGUSR1, then the new dump is parsed. And
// promtool's lint of a Prometheus text, so a test fails on what Prometheus would reject.
//
//   StatsReader stats;                     // before the router starts: sets the environment
//   SipRouter router(...); router.start();
//   auto v = stats.waitFor(router.process(), [](const StatsReader::Values& v) {
//       return StatsReader::get(v, "core:rcv_requests") >= 3; });
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "test/support/osprey_process.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {

class StatsReader {
public:
    using Values = std::map<std::string, int64_t>;  // "group:name" -> value

    // Sets OSPREY_STATS_DUMP in this process's environment (an osprey started afterwards
    // inherits it); the destructor removes it.
    StatsReader();
    ~StatsReader();
    StatsReader(const StatsReader&) = delete;
    StatsReader& operator=(const StatsReader&) = delete;

    // One dump: SIGUSR1 to the master, then waits (bounded) for the files. Empty on timeout.
    Values read(OspreyProcess& osprey);
    // Dumps until done(values) holds or the time is up; returns the last values read.
    Values waitFor(OspreyProcess& osprey, const std::function<bool(const Values&)>& done,
                   int timeoutMs = 5000);
    // The Prometheus text of the last dump.
    const std::string& prometheus() const { return prom_; }

    // The value, or -1 when the statistic is absent.
    static int64_t get(const Values& v, const std::string& name);

private:
    TempDir dir_;
    std::string path_;
    std::string prom_;
};

struct LintResult {
    int exitCode = -1;   // promtool's; 0 = no problem
    std::string output;  // what it reported
};
// `promtool check metrics` on the text (Debian's prometheus package, /usr/bin/promtool).
LintResult promtoolCheckMetrics(const std::string& text);

}  // namespace osprey::testsupport
