// What `osprey -V` prints: version and the build's options (allocator, MEMDBG, mode,
// compiler), all fixed at compile time by the Makefile.
#pragma once
#include <string>

namespace osprey::app {

std::string versionText();
const char* versionString();  // "0.1.0"
const char* allocatorName();  // "fm", "qm" or "tlsf"

}  // namespace osprey::app
