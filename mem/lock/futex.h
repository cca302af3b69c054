// Thin wrappers over the futex(2) system call for process-shared words. No FUTEX_PRIVATE_FLAG:
// the words live in the shared segment and waiters sit in different processes.
#pragma once
#include <atomic>
#include <cstdint>

namespace osprey::mem {

// Sleeps while *word == expected, at most timeoutMs (0 = no limit). Returns 0 when woken,
// EAGAIN when *word already differed, ETIMEDOUT, or EINTR.
int futexWait(std::atomic<uint32_t>* word, uint32_t expected, uint32_t timeoutMs);
// Wakes up to n waiters; returns how many were woken.
int futexWake(std::atomic<uint32_t>* word, int n);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

} // namespace osprey::mem
