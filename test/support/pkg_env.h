// For unit tests of code that parses or builds SIP: the per-message arenas overflow into the
// pkg heap, so including this header registers a gtest environment that creates a pkg heap
// before the first test and destroys it after the last. Also crlf(), so test messages can be
// written with plain "\n" line ends. Header-only: the sip_* unit tests link core/sip and mem
// only, not the test-support library.
#pragma once
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "mem/pkg.h"

namespace osprey::testsupport {

class PkgEnv : public ::testing::Environment {
public:
    explicit PkgEnv(size_t bytes) : bytes_(bytes) {}
    void SetUp() override { ASSERT_TRUE(mem::pkgInit(bytes_)); }
    void TearDown() override { mem::pkgDestroy(); }

private:
    size_t bytes_;
};

inline ::testing::Environment* const kPkgEnv =
    ::testing::AddGlobalTestEnvironment(new PkgEnv(16u << 20));

// Every "\n" becomes "\r\n".
inline std::string crlf(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 16);
    for (char c : s) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

}  // namespace osprey::testsupport
