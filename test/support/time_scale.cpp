#include "test/support/time_scale.h"

#include <climits>
#include <cstdlib>

namespace osprey::testsupport {

namespace {

double defaultScale() {
#if defined(__SANITIZE_ADDRESS__)
    return 3.0;
#else
    return 1.0;
#endif
}

double readScale() {
    const char* env = getenv("OSPREY_TEST_TIME_SCALE");
    if (env == nullptr || *env == '\0') return defaultScale();
    char* end = nullptr;
    const double v = strtod(env, &end);
    if (end == env || *end != '\0' || !(v > 0) || v > 1000) return defaultScale();
    return v;
}

}  // namespace

double timeScale() {
    static const double scale = readScale();
    return scale;
}

int scaledMs(int ms) {
    const double v = ms * timeScale();
    if (v >= INT_MAX) return INT_MAX;
    return v < ms ? ms : static_cast<int>(v);
}

}  // namespace osprey::testsupport
