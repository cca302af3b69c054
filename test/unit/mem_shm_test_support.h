// Helpers of the shm tests that fork real processes: fork/reap, pipe I/O with a timeout,
// content patterns, the transaction size mix, and a log-line counter.
#pragma once
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>

#include "mem/mem_log.h"

namespace osprey::mem::shmtest {

// Whether this build has the per-process shm cache (shm.cpp: not where the allocator records
// allocation sites).
#if OSPREY_MEMDBG || defined(OSPREY_MEMMNG_qm)
inline constexpr bool kCaches = false;
#else
inline constexpr bool kCaches = true;
#endif

inline pid_t forkChild(const std::function<int()>& fn) {
    pid_t pid = fork();
    if (pid == 0) _exit(fn());
    return pid;
}

inline int reap(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline bool writeAll(int fd, const void* buf, size_t n) {
    const char* p = static_cast<const char*>(buf);
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// Reads exactly n bytes, waiting at most timeoutMs per chunk; false on EOF/timeout.
inline bool readAll(int fd, void* buf, size_t n, int timeoutMs = 20000) {
    char* p = static_cast<char*>(buf);
    while (n > 0) {
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, timeoutMs) != 1) return false;
        ssize_t r = read(fd, p, n);
        if (r <= 0) return false;
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

inline void fill(void* p, size_t n, uint32_t seed) {
    auto* b = static_cast<unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + i * 31 + (i >> 8));
}

inline bool verify(const void* p, size_t n, uint32_t seed) {
    auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i)
        if (b[i] != static_cast<unsigned char>(seed + i * 31 + (i >> 8))) return false;
    return true;
}

struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    size_t uniform(size_t lo, size_t hi) { return lo + next() % (hi - lo + 1); }
};

// The shm_contend transaction mix, plus a few sizes too big for the cache.
inline size_t transactionSize(Rng& r) {
    unsigned k = static_cast<unsigned>(r.next() % 100);
    if (k < 20) return 9664;
    if (k < 40) return 2024 + r.uniform(1500, 4000);
    if (k < 70) return r.uniform(500, 3500);
    if (k < 98) return r.uniform(16, 256);
    return r.uniform(20000, 70000);
}

// Log lines of this process containing a given text.
inline std::atomic<int> g_matches{0};
inline const char* g_needle = "";
inline void countingSink(int, const char* text) {
    if (strstr(text, g_needle)) g_matches++;
}
struct LogCounter {
    explicit LogCounter(const char* needle) {
        g_needle = needle;
        g_matches = 0;
        setLogSink(countingSink);
    }
    ~LogCounter() { setLogSink(nullptr); }
    int count() const { return g_matches.load(); }
};

}  // namespace osprey::mem::shmtest
