// The command line of the real binary: -V reports the build, -h the usage, bad flags fail
// with a message and a non-zero status before anything starts.
#include <gtest/gtest.h>

#include <string>

#include "test/support/osprey_process.h"

namespace osprey::testsupport {
namespace {

TEST(ProcCli, VersionReportsTheBuildOptions) {
    RunResult r = runOsprey({"-V"});
    ASSERT_EQ(r.exitCode, 0) << r.output;
    // The test is built with the same flags as the binary, so the macros name what it must say.
    EXPECT_NE(r.output.find("osprey " OSPREY_VERSION "\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("allocator: " OSPREY_MEMMNG_NAME " ("), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("memdbg: " + std::to_string(OSPREY_MEMDBG)), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("build mode: " OSPREY_BUILD_MODE "\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(__VERSION__), std::string::npos) << r.output;
}

TEST(ProcCli, HelpListsEveryFlag) {
    RunResult r = runOsprey({"-h"});
    ASSERT_EQ(r.exitCode, 0);
    for (const char* flag : {"-f ", "-c ", "-D ", "-E ", "-n ", "-m ", "-M ", "-V ", "-P "})
        EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
}

TEST(ProcCli, BadFlagsFailWithAMessage) {
    struct Case {
        std::vector<std::string> args;
        const char* message;
    };
    const Case cases[] = {
        {{"-x"}, "unknown option -x"},
        {{"-n", "0"}, "-n needs a number"},
        {{"-n", "many"}, "-n needs a number"},
        {{"-m", "99999999"}, "-m needs a size"},
        {{"-M", "-3"}, "-M needs a size"},
        {{"-f"}, "option -f needs a value"},
        {{"-d", "loud"}, "-d needs err, warn"},
        {{"-l", "udp:[::1"}, "IPv6"},
        {{"stray"}, "unexpected argument 'stray'"},
    };
    for (const Case& c : cases) {
        RunResult r = runOsprey(c.args);
        EXPECT_NE(r.exitCode, 0) << c.args[0];
        EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args[0] << ": " << r.output;
    }
}

TEST(ProcCli, MissingConfigFileFails) {
    TempDir dir;
    std::string path = dir.file("nope.cfg");
    RunResult r = runOsprey({"-c", "-f", path});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.output.find(path + ": cannot open: No such file"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace osprey::testsupport
