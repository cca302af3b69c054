// The config loader on its own: every setting of docs/design.md §7 parsed into Config, relative
// paths resolved against the file, module parameters kept with their types, errors with lines.
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.h"
#include "test/support/temp_dir.h"

namespace osprey::config {
namespace {

using testsupport::TempDir;

bool load(const std::string& text, Config& cfg, ConfigError& err, const std::string& base = "/") {
    return loadConfigString(text, "test.cfg", base, cfg, err);
}

TEST(ConfigParse, DefaultsWhenEmpty) {
    Config cfg;
    ConfigError err;
    ASSERT_TRUE(load("", cfg, err)) << err.text();
    Config defaults;
    EXPECT_EQ(cfg.children, defaults.children);
    EXPECT_EQ(cfg.shmMiB, defaults.shmMiB);
    EXPECT_EQ(cfg.pkgMiB, defaults.pkgMiB);
    EXPECT_EQ(cfg.logLevel, defaults.logLevel);
    EXPECT_TRUE(cfg.listen.empty());
    EXPECT_TRUE(cfg.modules.empty());
    EXPECT_EQ(cfg.modulesPath, OSPREY_MODULES_DIR);
}

TEST(ConfigParse, TheDesignExampleParsesCompletely) {
    TempDir dir;
    dir.write("osprey.lua", "-- script\n");
    dir.write("mods/.keep", "");
    std::string path = dir.write("osprey.cfg", R"(
listen = ( "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "udp:[::1]:5070", "tls:example.com" );
alias = ( "example.com", "sip.example.com" );
children = 6;
tcp_children = 3;
shm_size = 128;
pkg_size = 16;
log_level = "info";
script = "osprey.lua";
modules_path = "mods";
modules = (
  { name = "sl"; },
  { name = "tm"; params = { fr_timer = 30000; fr_inv_timer = 120000L; }; },
  { name = "usrloc"; params = { hash_size = 12; db_url = "sqlite:///x"; timer = 1.5; nat = true; }; }
);
)");
    Config cfg;
    ConfigError err;
    ASSERT_TRUE(loadConfigFile(path, cfg, err)) << err.text();
    EXPECT_EQ(cfg.file, path);
    EXPECT_EQ(cfg.dir, dir.path());
    ASSERT_EQ(cfg.listen.size(), 4u);
    EXPECT_EQ(cfg.listen[0].text(), "udp:127.0.0.1:5060");
    EXPECT_EQ(cfg.listen[1].proto, Proto::Tcp);
    EXPECT_EQ(cfg.listen[2].hostType, HostType::Ipv6);
    EXPECT_EQ(cfg.listen[2].host, "::1");
    EXPECT_EQ(cfg.listen[2].port, 5070);
    EXPECT_EQ(cfg.listen[3].proto, Proto::Tls);
    EXPECT_EQ(cfg.listen[3].port, 5061);  // the TLS default
    EXPECT_EQ(cfg.aliases, (std::vector<std::string>{"example.com", "sip.example.com"}));
    EXPECT_EQ(cfg.children, 6u);
    EXPECT_EQ(cfg.tcpChildren, 3u);
    EXPECT_EQ(cfg.shmMiB, 128u);
    EXPECT_EQ(cfg.pkgMiB, 16u);
    EXPECT_EQ(cfg.logLevel, log::Level::Info);
    EXPECT_EQ(cfg.script, dir.file("osprey.lua"));
    EXPECT_EQ(cfg.modulesPath, dir.file("mods"));

    ASSERT_EQ(cfg.modules.size(), 3u);
    EXPECT_EQ(cfg.modules[0].name, "sl");
    EXPECT_TRUE(cfg.modules[0].params.empty());
    const ModuleSpec* tm = cfg.module("tm");
    ASSERT_NE(tm, nullptr);
    ASSERT_EQ(tm->params.size(), 2u);
    EXPECT_EQ(tm->params[0].name, "fr_timer");
    EXPECT_EQ(std::get<int64_t>(tm->params[0].value), 30000);
    EXPECT_EQ(std::get<int64_t>(tm->params[1].value), 120000);  // 64-bit literal too
    EXPECT_EQ(tm->params[0].where.line, 13);
    const ModuleSpec* ul = cfg.module("usrloc");
    ASSERT_NE(ul, nullptr);
    EXPECT_EQ(paramType(ul->param("hash_size")->value), ParamType::Int);
    EXPECT_EQ(std::get<std::string>(ul->param("db_url")->value), "sqlite:///x");
    EXPECT_DOUBLE_EQ(std::get<double>(ul->param("timer")->value), 1.5);
    EXPECT_EQ(std::get<bool>(ul->param("nat")->value), true);
    EXPECT_EQ(ul->param("missing"), nullptr);
    EXPECT_EQ(ul->where.line, 14);
    EXPECT_EQ(cfg.where("children").line, 4);
    EXPECT_EQ(cfg.where("children").file, path);
}

TEST(ConfigParse, SingleStringsWhereListsAreExpected) {
    Config cfg;
    ConfigError err;
    ASSERT_TRUE(load("listen = \"tcp:10.0.0.1:5080\";\nalias = \"a.example\";\n", cfg, err))
        << err.text();
    ASSERT_EQ(cfg.listen.size(), 1u);
    EXPECT_EQ(cfg.listen[0].text(), "tcp:10.0.0.1:5080");
    EXPECT_EQ(cfg.aliases, std::vector<std::string>{"a.example"});
}

TEST(ConfigParse, LogLevelSpellings) {
    struct Case {
        const char* text;
        log::Level level;
    } cases[] = {{"\"err\"", log::Level::Err},
                 {"\"WARNING\"", log::Level::Warn},
                 {"\"notice\"", log::Level::Notice},
                 {"6", log::Level::Info},
                 {"\"debug\"", log::Level::Debug}};
    for (const Case& c : cases) {
        Config cfg;
        ConfigError err;
        ASSERT_TRUE(load(std::string("log_level = ") + c.text + ";", cfg, err))
            << c.text << ": " << err.text();
        EXPECT_EQ(cfg.logLevel, c.level) << c.text;
    }
}

TEST(ConfigParse, ErrorsCarryTheLineOfTheSetting) {
    struct Case {
        const char* text;
        int line;
        const char* message;
    } cases[] = {
        {"children = 2;\n\npkg_size = 0;\n", 3, "'pkg_size' = 0 is out of range"},
        {"children = 2;\nshm_size = 70000000;\n", 2, "out of range"},
        {"alias = ( \"a\", 3 );\n", 1, "entry 2 of 'alias' must be a string"},
        {"listen = ( \"udp:1.2.3.4:0\" );\n", 1, "invalid port"},
        {"listen = ( \"udp:fe80::1\" );\n", 1, "IPv6 addresses must be written in brackets"},
        {"script = \"\";\n", 1, "'script' is empty"},
        {"modules = (\n { name = \"a-b\"; }\n);\n", 2, "invalid module name 'a-b'"},
        {"modules = ( 3 );\n", 1, "each entry of 'modules' must be a group"},
        {"children = 2;\nchildren = 3;\n", 2, "duplicate setting name"},
        {"children = 2\n}\n", 2, "syntax error"},
    };
    for (const Case& c : cases) {
        Config cfg;
        ConfigError err;
        EXPECT_FALSE(load(c.text, cfg, err)) << c.text;
        EXPECT_EQ(err.where.file, "test.cfg");
        EXPECT_EQ(err.where.line, c.line) << c.text << " -> " << err.text();
        EXPECT_NE(err.message.find(c.message), std::string::npos) << c.text << " -> " << err.text();
        EXPECT_EQ(err.text(), "test.cfg:" + std::to_string(c.line) + ": " + err.message);
    }
}

TEST(ConfigParse, DeclaredExtraSettingsAreAcceptedAndTyped) {
    declareSetting("test_extra_int", ParamType::Int);
    declareSetting("test_extra_float", ParamType::Float);
    Config cfg;
    ConfigError err;
    ASSERT_TRUE(load("test_extra_int = 7;\ntest_extra_float = 2;\n", cfg, err)) << err.text();
    ASSERT_NE(cfg.setting("test_extra_int"), nullptr);
    EXPECT_EQ(std::get<int64_t>(cfg.setting("test_extra_int")->value), 7);
    // An integer where a float is declared is widened, not refused.
    EXPECT_DOUBLE_EQ(std::get<double>(cfg.setting("test_extra_float")->value), 2.0);
    EXPECT_EQ(cfg.setting("test_extra_float")->where.line, 2);

    Config bad;
    EXPECT_FALSE(load("test_extra_int = \"seven\";\n", bad, err));
    EXPECT_NE(err.message.find("must be of type integer, not string"), std::string::npos)
        << err.text();
}

TEST(ConfigParse, MissingAndUnreadableFiles) {
    TempDir dir;
    Config cfg;
    ConfigError err;
    EXPECT_FALSE(loadConfigFile(dir.file("absent.cfg"), cfg, err));
    EXPECT_NE(err.text().find("absent.cfg: cannot open"), std::string::npos) << err.text();
    EXPECT_FALSE(loadConfigFile(dir.path(), cfg, err));
    EXPECT_NE(err.text().find("not a regular file"), std::string::npos) << err.text();
}

TEST(ConfigParse, ScriptMustExistRelativeToTheFile) {
    TempDir dir;
    std::string path = dir.write("sub/osprey.cfg", "script = \"../route.lua\";\n");
    Config cfg;
    ConfigError err;
    EXPECT_FALSE(loadConfigFile(path, cfg, err));
    EXPECT_NE(err.message.find(dir.file("route.lua")), std::string::npos) << err.text();
    dir.write("route.lua", "-- ok\n");
    ASSERT_TRUE(loadConfigFile(path, cfg, err)) << err.text();
    EXPECT_EQ(cfg.script, dir.file("route.lua"));
}

TEST(ConfigParse, CurrentConfigIsWhatWasSet) {
    Config cfg;
    cfg.children = 11;
    cfg.modules.push_back(ModuleSpec{"sl", {}, {}});
    setCurrent(cfg);
    EXPECT_EQ(current().children, 11u);
    ASSERT_NE(current().module("sl"), nullptr);
}

}  // namespace
}  // namespace osprey::config
