// StatsReader: OSPREY_STATS_DUMP files of a running osprey; promtool's lint.
#include "test/support/stats_reader.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "test/support/proc_info.h"
#include "test/support/read_file.h"
#include "test/support/time_scale.h"

namespace osprey::testsupport {

StatsReader::StatsReader() : path_(dir_.file("stats")) {
    setenv("OSPREY_STATS_DUMP", path_.c_str(), 1);
}

StatsReader::~StatsReader() {
    unsetenv("OSPREY_STATS_DUMP");
}

StatsReader::Values StatsReader::read(OspreyProcess& osprey) {
    Values v;
    unlink(path_.c_str());
    if (!osprey.signal(SIGUSR1)) return v;
    // The master renames the file into place once both files are complete.
    if (!pollUntil([&] { return fileExists(path_); }, scaledMs(3000))) return v;
    std::istringstream in(readFile(path_));
    prom_ = readFile(path_ + ".prom");
    std::string line;
    while (std::getline(in, line)) {
        const size_t eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        v[line.substr(0, eq)] = std::strtoll(line.c_str() + eq + 3, nullptr, 10);
    }
    return v;
}

StatsReader::Values StatsReader::waitFor(OspreyProcess& osprey,
                                         const std::function<bool(const Values&)>& done,
                                         int timeoutMs) {
    Values last;
    pollUntil(
        [&] {
            last = read(osprey);
            return !last.empty() && done(last);
        },
        scaledMs(timeoutMs), 50);
    return last;
}

int64_t StatsReader::get(const Values& v, const std::string& name) {
    const auto it = v.find(name);
    return it == v.end() ? -1 : it->second;
}

LintResult promtoolCheckMetrics(const std::string& text) {
    LintResult r;
    TempDir dir;
    const std::string in = dir.write("metrics.prom", text);
    const std::string out = dir.file("promtool.out");
    const std::string cmd = "promtool check metrics < '" + in + "' > '" + out + "' 2>&1";
    const int status = std::system(cmd.c_str());
    r.exitCode = status == -1 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    r.output = readFile(out);
    return r;
}

}  // namespace osprey::testsupport
