// futex(2) wrappers; see futex.h.
#include "mem/lock/futex.h"

#include <cerrno>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace osprey::mem {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "the kernel must see the atomic as a plain 32-bit word");

int futexWait(std::atomic<uint32_t>* word, uint32_t expected, uint32_t timeoutMs) {
    timespec ts{static_cast<time_t>(timeoutMs / 1000), static_cast<long>(timeoutMs % 1000) * 1000000};
    long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected,
                     timeoutMs ? &ts : nullptr, nullptr, 0);
    return r == 0 ? 0 : errno;
}

int futexWake(std::atomic<uint32_t>* word, int n) {
    long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, n, nullptr,
                     nullptr, 0);
    return r < 0 ? 0 : static_cast<int>(r);
}

} // namespace osprey::mem
