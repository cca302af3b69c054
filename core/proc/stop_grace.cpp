#include "core/proc/stop_grace.h"

#include <cstdlib>
#include <cstring>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define OSPREY_HAVE_VALGRIND_H 1
#endif

namespace osprey::proc {

bool runningOnValgrind() {
#ifdef OSPREY_HAVE_VALGRIND_H
    if (RUNNING_ON_VALGRIND) return true;
#endif
    // Without the header: valgrind's preload objects are named in LD_PRELOAD.
    const char* preload = getenv("LD_PRELOAD");
    return preload != nullptr && strstr(preload, "vgpreload") != nullptr;
}

int defaultStopGraceMs() {
    if (const char* env = getenv("OSPREY_STOP_GRACE_MS"); env != nullptr && *env != '\0') {
        char* end = nullptr;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= 600000) return static_cast<int>(v);
    }
    return runningOnValgrind() ? kStopGraceValgrindMs : kStopGraceMs;
}

}  // namespace osprey::proc
