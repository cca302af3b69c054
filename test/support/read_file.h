// The whole content of a file, for tests. Header-only so that tests which link only core/sip
// and mem/ (sip_*) can use it as well as those linking test/support.
#pragma once
#include <fstream>
#include <sstream>
#include <string>

namespace osprey::testsupport {

// "" when the file cannot be read.
inline std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace osprey::testsupport
