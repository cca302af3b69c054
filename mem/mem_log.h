// Logging from the memory layer. mem/ may not depend on core/, so it writes through a sink
// that core's logger installs at start-up; the default sink writes to stderr.
// Levels are syslog's (LOG_ERR = 3 ... LOG_DEBUG = 7).
#pragma once
#include <atomic>
#include <cstdint>

namespace osprey::mem {

using LogSink = void (*)(int level, const char* text);

void setLogSink(LogSink sink);
void memLog(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// CLOCK_MONOTONIC_COARSE milliseconds, for the memory layer's rate limits (mem/ cannot use
// core/timer/clock.h).
uint64_t coarseNowMs();

// Lets one message through per interval; the number of suppressed ones is reported with the
// next message that passes. Lock-free, safe in shm or private memory.
class RateLimit {
public:
    explicit constexpr RateLimit(uint32_t intervalMs = 1000) : intervalMs_(intervalMs) {}
    // Returns true if the caller should log now; *suppressed gets how many were dropped.
    bool allow(uint64_t* suppressed);

private:
    uint32_t intervalMs_;
    std::atomic<uint64_t> lastMs_{0};
    std::atomic<uint64_t> dropped_{0};
};

} // namespace osprey::mem
