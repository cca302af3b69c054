// What taking back parked shm cache memory costs (make bench-shm-reclaim; docs/shm-cache.md):
// N idle worker processes each park 192 KiB in their cache, then the master times
//   - shmReclaimAllCaches(): what a failed allocation does before its retry (request, one
//     membarrier, wait for each owner, give every list back under the heap lock);
//   - the same with every cache already empty (the scan alone);
//   - shmReclaimDeadProcess() of one killed worker (what the master does when it reaps it).
// Each figure is the median of several fresh rounds (the workers are forked again each round).
// First it prints what the fast path costs: ns per shmAlloc+shmFree pair that the cache serves
// (sizes 64 to 664 bytes, best of 7 runs); make bench-mem (shm_contend_*) measures it in a
// transaction-like workload.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <vector>

#include "mem/mem_log.h"
#include "mem/shm.h"

using namespace osprey;

namespace {

constexpr int kRounds = 9;

uint64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

struct Workers {
    std::vector<pid_t> pids;
    int go[2] = {-1, -1};

    // Forks n workers that park 192 KiB each and then wait (idle) until `go` closes.
    bool start(int n) {
        if (pipe(go) != 0) return false;
        int ready[2];
        if (pipe(ready) != 0) return false;
        for (int w = 0; w < n; ++w) {
            pid_t pid = fork();
            if (pid == 0) {
                close(go[1]);
                mem::shmChildInit(static_cast<unsigned>(1 + w));
                std::vector<void*> blocks;
                for (auto [size, count] : {std::pair{1024, 60}, {2048, 30}, {4096, 14}})
                    for (int i = 0; i < count; ++i) blocks.push_back(mem::shmAlloc(size));
                for (void* p : blocks) mem::shmFree(p);
                char c = 'r';
                if (write(ready[1], &c, 1) != 1) _exit(1);
                while (read(go[0], &c, 1) > 0) {
                }
                mem::shmFlushCache();
                _exit(0);
            }
            pids.push_back(pid);
        }
        close(ready[1]);
        char c;
        int got = 0;
        while (got < n && read(ready[0], &c, 1) == 1) ++got;
        close(ready[0]);
        close(go[0]);
        return got == n;
    }
    void stop() {
        close(go[1]);
        for (pid_t p : pids) waitpid(p, nullptr, 0);
        pids.clear();
    }
};

double hotPairNs() {
    constexpr long kPairs = 2'000'000;
    double best = 1e9;
    for (int run = 0; run < 7; ++run) {
        uint64_t t0 = nowNs();
        for (long i = 0; i < kPairs; ++i) {
            void* p = mem::shmAlloc(64 + static_cast<size_t>(i & 3) * 200);
            __asm__ volatile("" ::"r"(p) : "memory");  // keep the pair
            mem::shmFree(p);
        }
        best = std::min(best, static_cast<double>(nowNs() - t0) / kPairs);
    }
    return best;
}

uint64_t median(std::vector<uint64_t> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main() {
    mem::setLogSink([](int, const char*) {});  // one "gave back" line per dead worker
    if (!mem::shmInit(size_t{256} << 20)) return 1;
    if (!mem::shmCaching()) {
        std::printf("shm_reclaim_bench: this build has no shm cache (MEMMNG=qm or MEMDBG=1)\n");
        return 0;
    }
    std::printf("fast path: %.1f ns per alloc+free pair served by the cache\n\n", hotPairNs());
    std::printf("%-8s %14s %12s %14s %12s\n", "workers", "reclaim_us", "bytes", "empty_scan_us",
                "dead_us");
    for (int n : {1, 4, 16, 64}) {
        std::vector<uint64_t> full, empty, dead;
        size_t bytes = 0;
        for (int r = 0; r < kRounds; ++r) {
            Workers w;
            if (!w.start(n)) return 1;
            uint64_t t0 = nowNs();
            bytes = mem::shmReclaimAllCaches();
            uint64_t t1 = nowNs();
            mem::shmReclaimAllCaches();
            uint64_t t2 = nowNs();
            full.push_back(t1 - t0);
            empty.push_back(t2 - t1);
            w.stop();

            Workers one;
            if (!one.start(1)) return 1;
            kill(one.pids[0], SIGKILL);
            waitpid(one.pids[0], nullptr, 0);
            uint64_t t3 = nowNs();
            mem::shmReclaimDeadProcess(one.pids[0]);
            dead.push_back(nowNs() - t3);
            one.pids.clear();
            close(one.go[1]);
        }
        std::printf("%-8d %14.1f %12zu %14.1f %12.1f\n", n, median(full) / 1e3, bytes,
                    median(empty) / 1e3, median(dead) / 1e3);
    }
    mem::shmDestroy();
    return 0;
}
