#include "test/support/proc_info.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "test/support/temp_dir.h"
#include "test/support/time_scale.h"

namespace osprey::testsupport {

namespace {

// Parses /proc/<pid>/stat: "pid (comm) S ppid ..."; comm may contain spaces and ')'.
bool readStat(int pid, char* state, int* ppid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    std::string s = readFile(path);
    size_t close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return false;
    char st = 0;
    int pp = 0;
    if (sscanf(s.c_str() + close + 2, "%c %d", &st, &pp) != 2) return false;
    if (state) *state = st;
    if (ppid) *ppid = pp;
    return true;
}

}  // namespace

std::vector<int> childrenOf(int pid) {
    std::vector<int> out;
    DIR* d = opendir("/proc");
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long p = strtol(e->d_name, &end, 10);
        if (!end || *end != '\0' || p <= 0) continue;
        char st = 0;
        int pp = 0;
        if (readStat(static_cast<int>(p), &st, &pp) && pp == pid && st != 'Z' && st != 'X')
            out.push_back(static_cast<int>(p));
    }
    closedir(d);
    return out;
}

int parentOf(int pid) {
    int pp = -1;
    return readStat(pid, nullptr, &pp) ? pp : -1;
}

char processState(int pid) {
    char st = 0;
    return readStat(pid, &st, nullptr) ? st : 0;
}

bool processAlive(int pid) {
    char st = processState(pid);
    return st != 0 && st != 'Z' && st != 'X';
}

void becomeSubreaper() {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void reapIfExited(int pid) {
    int status;
    waitpid(pid, &status, WNOHANG);
}

bool pollUntil(const std::function<bool()>& done, int timeoutMs, int stepMs) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(scaledMs(timeoutMs));
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(stepMs));
    }
}

}  // namespace osprey::testsupport
