#include "mem/mem_log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace osprey::mem {

namespace {

void stderrSink(int level, const char* text) {
    static const char* const names[] = {"EMERG", "ALERT", "CRIT", "ERROR",
                                        "WARN",  "NOTICE", "INFO", "DEBUG"};
    char line[1200];
    int n = snprintf(line, sizeof line, "%s: mem[%d]: %s\n", names[level & 7], getpid(), text);
    if (n > 0) {
        ssize_t ignored = write(2, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
        (void)ignored;
    }
}

std::atomic<LogSink> g_sink{stderrSink};

} // namespace

uint64_t coarseNowMs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void setLogSink(LogSink sink) { g_sink.store(sink ? sink : stderrSink); }

void memLog(int level, const char* fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    g_sink.load()(level, text);
}

bool RateLimit::allow(uint64_t* suppressed) {
    uint64_t now = coarseNowMs();
    uint64_t last = lastMs_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < intervalMs_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (!lastMs_.compare_exchange_strong(last, now ? now : 1, std::memory_order_relaxed)) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    uint64_t d = dropped_.exchange(0, std::memory_order_relaxed);
    if (suppressed) *suppressed = d;
    return true;
}

} // namespace osprey::mem
