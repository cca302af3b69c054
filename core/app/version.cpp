#include "core/app/version.h"

#include <libconfig.h++>

#ifndef OSPREY_VERSION
#define OSPREY_VERSION "unknown"
#endif
#ifndef OSPREY_MEMMNG_NAME
#define OSPREY_MEMMNG_NAME "fm"
#endif
#ifndef OSPREY_MEMDBG
#define OSPREY_MEMDBG 0
#endif
#ifndef OSPREY_BUILD_MODE
#define OSPREY_BUILD_MODE "unknown"
#endif

namespace osprey::app {

namespace {

const char* allocatorDescription(const char* name) {
    std::string_view n = name;
    if (n == "fm") return "fast: segregated free lists";
    if (n == "qm") return "quick-debug: boundary tags and canaries";
    if (n == "tlsf") return "two-level segregated fit";
    return "?";
}

}  // namespace

const char* versionString() {
    return OSPREY_VERSION;
}
const char* allocatorName() {
    return OSPREY_MEMMNG_NAME;
}

std::string versionText() {
    std::string s;
    s += "osprey " OSPREY_VERSION "\n";
    s += "allocator: " OSPREY_MEMMNG_NAME " (";
    s += allocatorDescription(OSPREY_MEMMNG_NAME);
    s += ")\n";
    s += OSPREY_MEMDBG ? "memdbg: 1 (per-fragment debug records)\n" : "memdbg: 0\n";
    s += "build mode: " OSPREY_BUILD_MODE "\n";
    s += "compiler: ";
#if defined(__clang__)
    s += "clang ";
#elif defined(__GNUC__)
    s += "g++ ";
#endif
    s += __VERSION__;
    s += "\n";
    s += "libconfig: " + std::to_string(LIBCONFIGXX_VER_MAJOR) + "." +
         std::to_string(LIBCONFIGXX_VER_MINOR) + "." + std::to_string(LIBCONFIGXX_VER_REVISION) +
         "\n";
    return s;
}

}  // namespace osprey::app
