// Optional capabilities some heaps offer beyond the Heap concept, detected at compile time:
// a live-fragment report (qm, MEMDBG=1 builds) and a consistency walk. shm and pkg use these
// so they compile against every allocator.
#pragma once
#include <unistd.h>

#include <concepts>
#include <cstddef>
#include <cstdio>

namespace osprey::mem {

template <class H>
concept HeapReportsLive = requires(const H& h, int fd) {
    { h.reportLive(fd) } -> std::convertible_to<size_t>;
};

// Writes the live-fragment report of h to fd, or one line saying which build has it.
// `who` names the heap ("shm", "pkg"). Returns the number of live fragments reported.
template <class H>
size_t heapReportLive(const H& h, int fd, const char* who) {
    if constexpr (HeapReportsLive<H>) {
        return h.reportLive(fd);
    } else {
        char line[160];
        int n = snprintf(line, sizeof line,
                         "%s: the live-fragment report needs a debug allocator (make MEMMNG=qm "
                         "or MEMDBG=1); this build uses %s\n",
                         who, H::kName);
        if (n > 0) {
            ssize_t ignored = write(fd, line, static_cast<size_t>(n));
            (void)ignored;
        }
        return 0;
    }
}

// Runs the heap's own consistency walk when it has one (check() or checkIntegrity());
// true when it found nothing wrong or has no walk.
template <class H>
bool heapConsistent(const H& h) {
    if constexpr (requires { { h.check() } -> std::convertible_to<bool>; })
        return h.check();
    else if constexpr (requires { { h.checkIntegrity() } -> std::convertible_to<bool>; })
        return h.checkIntegrity();
    else
        return true;
}

} // namespace osprey::mem
