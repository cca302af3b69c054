// Command-line parsing (Kamailio's flags) and how the flags override the config file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/app/options.h"

namespace osprey::app {
namespace {

Action parse(std::vector<const char*> args, Options& o, std::string* err = nullptr) {
    args.insert(args.begin(), "osprey");
    return parseOptions(static_cast<int>(args.size()), args.data(), o, err);
}

TEST(ConfigCmdline, EveryFlag) {
    Options o;
    ASSERT_EQ(parse({"-f",
                     "x.cfg",
                     "-c",
                     "-D",
                     "-E",
                     "-n",
                     "7",
                     "-m",
                     "128",
                     "-M",
                     "12",
                     "-d",
                     "debug",
                     "-P",
                     "/run/o.pid",
                     "-L",
                     "/mods",
                     "-l",
                     "udp:[::1]:5070",
                     "-l",
                     "tcp:127.0.0.1"},
                    o),
              Action::Run);
    EXPECT_EQ(o.configFile, "x.cfg");
    EXPECT_TRUE(o.checkOnly);
    EXPECT_TRUE(o.foreground);
    EXPECT_TRUE(o.logStderr);
    EXPECT_EQ(o.children, 7u);
    EXPECT_EQ(o.shmMiB, 128u);
    EXPECT_EQ(o.pkgMiB, 12u);
    EXPECT_EQ(o.logLevel, log::Level::Debug);
    EXPECT_EQ(o.pidFile, "/run/o.pid");
    EXPECT_EQ(o.modulesPath, "/mods");
    ASSERT_EQ(o.listen.size(), 2u);
    EXPECT_EQ(o.listen[0].text(), "udp:[::1]:5070");
    EXPECT_EQ(o.listen[1].text(), "tcp:127.0.0.1:5060");
}

TEST(ConfigCmdline, GroupedFlagsAndAttachedValues) {
    Options o;
    ASSERT_EQ(parse({"-DEc", "-n3", "-m64"}, o), Action::Run);
    EXPECT_TRUE(o.foreground);
    EXPECT_TRUE(o.logStderr);
    EXPECT_TRUE(o.checkOnly);
    EXPECT_EQ(o.children, 3u);
    EXPECT_EQ(o.shmMiB, 64u);
    Options d;
    ASSERT_EQ(parse({"-Dn", "5"}, d),
              Action::Run);  // a value flag last in a group takes the next word
    EXPECT_TRUE(d.foreground);
    EXPECT_EQ(d.children, 5u);
}

TEST(ConfigCmdline, NothingSetMeansNoOverride) {
    Options o;
    ASSERT_EQ(parse({}, o), Action::Run);
    EXPECT_FALSE(o.children.has_value());
    EXPECT_FALSE(o.shmMiB.has_value());
    EXPECT_FALSE(o.foreground);
    config::Config cfg;
    cfg.children = 9;
    cfg.shmMiB = 33;
    applyOptions(o, cfg);
    EXPECT_EQ(cfg.children, 9u);
    EXPECT_EQ(cfg.shmMiB, 33u);
}

TEST(ConfigCmdline, FlagsOverrideTheFile) {
    Options o;
    ASSERT_EQ(parse({"-n", "2", "-M", "5", "-d", "err", "-l", "tls:[::1]"}, o), Action::Run);
    config::Config cfg;
    cfg.children = 9;
    cfg.pkgMiB = 8;
    cfg.shmMiB = 33;
    config::ListenAddr a;
    ASSERT_TRUE(config::parseListenAddr("udp:1.1.1.1", a, nullptr));
    cfg.listen.push_back(a);
    applyOptions(o, cfg);
    EXPECT_EQ(cfg.children, 2u);
    EXPECT_EQ(cfg.pkgMiB, 5u);
    EXPECT_EQ(cfg.shmMiB, 33u);  // not given: the file's value stays
    EXPECT_EQ(cfg.logLevel, log::Level::Err);
    ASSERT_EQ(cfg.listen.size(), 1u);
    EXPECT_EQ(cfg.listen[0].text(), "tls:[::1]:5061");
}

TEST(ConfigCmdline, VersionAndHelp) {
    Options o;
    EXPECT_EQ(parse({"-V"}, o), Action::Version);
    EXPECT_EQ(parse({"-D", "-h"}, o), Action::Help);
    EXPECT_EQ(parse({"--version"}, o), Action::Version);
    EXPECT_EQ(parse({"--help"}, o), Action::Help);
}

TEST(ConfigCmdline, ErrorsSayWhatIsWrong) {
    struct Case {
        std::vector<const char*> args;
        const char* message;
    } cases[] = {
        {{"-n"}, "option -n needs a value"},
        {{"-n", "0"}, "-n needs a number of processes from 1 to"},
        {{"-n", "999"}, "-n needs a number"},
        {{"-n", "+3"}, "-n needs a number"},
        {{"-m", "0"}, "-m needs a size"},
        {{"-M", "1e3"}, "-M needs a size"},
        {{"-m", "184467440737095516160"}, "-m needs a size"},
        {{"-d", "chatty"}, "-d needs"},
        {{"-l", "udp:1.2.3.4:99999"}, "invalid port"},
        {{"-q"}, "unknown option -q"},
        {{"-"}, "unexpected argument '-'"},
        {{"cfg"}, "unexpected argument 'cfg'"},
    };
    for (const Case& c : cases) {
        Options o;
        std::string err;
        EXPECT_EQ(parse(c.args, o, &err), Action::Error) << c.args[0];
        EXPECT_NE(err.find(c.message), std::string::npos) << c.args[0] << ": " << err;
    }
}

}  // namespace
}  // namespace osprey::app
