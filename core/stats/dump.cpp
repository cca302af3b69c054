// OSPREY_STATS_DUMP: the statistics written to files on SIGUSR1.
#include "core/stats/dump.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log/log.h"
#include "core/stats/core_stats.h"
#include "core/stats/prometheus.h"
#include "core/stats/read.h"

namespace osprey::stats {

namespace {

bool writeAtomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    FILE* f = fopen(tmp.c_str(), "w");
    if (f == nullptr) {
        LM_ERR("statistics dump: cannot open %s: %s", tmp.c_str(), strerror(errno));
        return false;
    }
    const bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
    if (fclose(f) != 0 || !ok || rename(tmp.c_str(), path.c_str()) != 0) {
        LM_ERR("statistics dump: cannot write %s: %s", path.c_str(), strerror(errno));
        return false;
    }
    return true;
}

}  // namespace

void dumpOnSignal() {
    const char* path = getenv(kDumpEnv);
    if (path == nullptr || *path == '\0') return;
    publishProcessGauges();
    const Snapshot all = select("all");
    std::string lines;
    for (const Sample& s : all) lines += kamailioLine(s) + "\n";
    if (writeAtomically(std::string(path) + ".prom", formatPrometheus(all)) &&
        writeAtomically(path, lines)) {
        LM_NOTICE("statistics written to %s and %s.prom", path, path);
    }
}

}  // namespace osprey::stats
