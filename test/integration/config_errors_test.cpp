// Bad configuration files: the real binary names file:line and the problem, exits non-zero,
// and starts nothing; a good file passes `osprey -c`.
#include <gtest/gtest.h>

#include <string>

#include "test/support/osprey_process.h"
#include "test/support/proc_info.h"

namespace osprey::testsupport {
namespace {

// The line of the first "#!" marker: the test files mark the line the error must name.
int markedLine(const std::string& text) {
    size_t pos = text.find("#!");
    int line = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) line += text[i] == '\n';
    return line;
}

struct BadConfig {
    const char* name;
    const char* text;
    const char* message;
};

const BadConfig kBad[] = {
    {"syntax", "children = 4;\nlisten = ( \"udp:1.2.3.4:5060\"\nshm_size = 8; #!\n",
     "syntax error"},
    {"duplicate", "children = 4;\nchildren = 5; #!\n", "duplicate setting name"},
    {"unknown_setting", "children = 4;\nchidren = 4; #!\n", "unknown setting 'chidren'"},
    {"wrong_type", "log_level = \"info\";\nchildren = \"four\"; #!\n",
     "'children' must be an integer"},
    {"out_of_range", "children = 0; #!\n", "'children' = 0 is out of range"},
    {"float_size", "shm_size = 1.5; #!\n", "'shm_size' must be an integer"},
    {"bad_ipv4", "listen = ( \"udp:127.0.0.1:5060\",\n  \"udp:300.1.1.1:5060\" ); #!\n",
     "bad listen address 'udp:300.1.1.1:5060': invalid IPv4 address"},
    {"unclosed_ipv6", "listen = \"udp:[::1:5060\"; #!\n", "without closing ']'"},
    {"bad_proto", "listen = ( \"sctp:127.0.0.1:5060\" ); #!\n", "unknown protocol"},
    {"bad_port", "listen = ( \"tcp:127.0.0.1:70000\" ); #!\n", "invalid port"},
    {"tls_listen_without_certificate",
     "children = 1;\nlisten = ( \"udp:127.0.0.1:5060\", \"tls:127.0.0.1:5061\" ); #!\n",
     "tls: a tls: listener needs a certificate"},
    {"tls_unknown_option", "tls = {\n  method = \"TLSv1.2+\";\n  cerificate = \"c.pem\"; #!\n};\n",
     "tls: unknown option 'cerificate'"},
    {"tls_bad_method", "tls = {\n  method = \"SSLv3\"; #!\n};\n", "tls: unknown method 'SSLv3'"},
    {"tls_unreadable_certificate",
     "listen = ( \"tls:127.0.0.1:5061\" );\ntls = {\n  certificate = \"/nonexistent/c.pem\"; "
     "#!\n};\n",
     "tls: cannot read certificate '/nonexistent/c.pem'"},
    {"tls_unknown_profile_option",
     "tls = {\n  client = ( { verify_certificate = true; },\n    { server_name = \"a\"; sni = 1; } "
     "); "
     "#!\n};\n",
     "unknown option 'sni' in a client profile"},
    {"tls_profile_twice",
     "tls = {\n  server = (\n    { server_name = \"a\"; },\n    { server_name = \"a\"; } #!\n  "
     ");\n};\n",
     "tls: server profile 'a' is given twice (first at "},
    {"listen_twice", "listen = ( \"udp:127.0.0.1:5060\",\n \"udp:127.0.0.1\" ); #!\n",
     "given twice"},
    {"log_level", "log_level = \"loud\"; #!\n", "unknown log_level 'loud'"},
    {"missing_script", "children = 1;\nscript = \"nowhere.lua\"; #!\n",
     "script 'nowhere.lua' not found"},
    {"module_no_name", "modules = (\n { name = \"sl\"; },\n { params = { a = 1; }; } #!\n);\n",
     "module entry without 'name'"},
    {"module_twice", "modules = (\n { name = \"sl\"; },\n { name = \"sl\"; } #!\n);\n",
     "module 'sl' is listed twice"},
    {"module_nested_param",
     "modules = ( { name = \"tm\"; params = {\n  fr_timer = 100;\n  nested = { a = 1; }; #!\n}; } "
     ");\n",
     "module 'tm' parameter 'nested' must be"},
    {"module_bad_key", "modules = ( { name = \"tm\";\n  parms = { a = 1; }; } ); #!\n",
     "unknown key 'parms'"},
    {"modules_not_list", "modules = { name = \"tm\"; }; #!\n", "'modules' must be a list"},
    {"tcp_children_zero", "listen = ( \"tcp:127.0.0.1:5060\" );\ntcp_children = 0; #!\n",
     "tcp_children must be at least 1 when there is a tcp listener"},
    // Module entries are checked against the real modules of the build.
    {"unknown_module", "modules = (\n { name = \"sl\"; },\n { name = \"nosuch\"; } #!\n);\n",
     "unknown module 'nosuch'"},
    {"unknown_module_param",
     "modules = ( { name = \"maxfwd\";\n  params = { max_limt = 10; }; } #!\n);\n",
     "module 'maxfwd' has no parameter 'max_limt'"},
    {"module_param_type",
     "modules = ( { name = \"maxfwd\";\n  params = { max_limit = \"ten\"; }; } #!\n);\n",
     "parameter 'max_limit' must be an integer"},
    {"module_param_range",
     "modules = ( { name = \"maxfwd\";\n  params = { max_limit = 300; }; } #!\n);\n", "max_limit"},
};

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NamesFileAndLineAndExitsNonZero) {
    const BadConfig& c = GetParam();
    TempDir dir;
    std::string path = dir.write(std::string(c.name) + ".cfg", c.text);
    std::string where = path + ":" + std::to_string(markedLine(c.text)) + ": ";
    for (bool checkOnly : {true, false}) {
        std::vector<std::string> args = {"-D", "-E", "-f", path};
        if (checkOnly) args.push_back("-c");
        RunResult r = runOsprey(args);
        EXPECT_EQ(r.exitCode, 1) << r.output;
        // "file:line: " then the message somewhere on the same line.
        size_t at = r.output.find(where);
        std::string line =
            at == std::string::npos ? "" : r.output.substr(at, r.output.find('\n', at) - at);
        EXPECT_NE(line.find(c.message), std::string::npos)
            << "expected '" << where << "..." << c.message << "' in:\n"
            << r.output;
        EXPECT_EQ(r.output.find("ready:"), std::string::npos) << "a bad config must not start";
    }
}

INSTANTIATE_TEST_SUITE_P(BadFiles, ConfigErrors, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigCheck, GoodConfigPassesCheckAndStartsNothing) {
    // Core settings only: modules and scripts are checked by their own tests (with -c the
    // module loader and the Lua engine check them too, so they would need real ones here).
    TempDir dir;
    std::string path = dir.write("osprey.cfg",
                                 "listen = ( \"udp:127.0.0.1:5060\", \"tcp:[::1]:5060\" );\n"
                                 "alias = ( \"example.com\" );\n"
                                 "children = 2;\ntcp_children = 1;\nshm_size = 16;\npkg_size = 2;\n"
                                 "log_level = \"debug\";\n");
    becomeSubreaper();
    RunResult r = runOsprey({"-c", "-f", path});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("is valid"), std::string::npos) << r.output;
    EXPECT_TRUE(childrenOf(getpid()).empty()) << "-c must not fork";
}

TEST(ConfigCheck, ErrorsInAnIncludedFileNameThatFile) {
    TempDir dir;
    std::string inc = dir.write("inc/extra.cfg", "children = 2;\n\nbogus = 1;\n");
    std::string path = dir.write("osprey.cfg", "shm_size = 16;\n@include \"inc/extra.cfg\"\n");
    RunResult r = runOsprey({"-c", "-f", path});
    EXPECT_EQ(r.exitCode, 1);
    // libconfig names an included file by the path it opened.
    EXPECT_NE(r.output.find("extra.cfg:3: unknown setting 'bogus'"), std::string::npos) << r.output;
}

TEST(ConfigCheck, MissingModuleDependencyNamesTheEntry) {
    TempDir dir;
    const std::string text = "modules_path = \"" OSPREY_BUILD_DIR
                             "/test/modules\";\n"
                             "modules = (\n  { name = \"testmod_needs_missing\"; } #!\n);\n";
    std::string path = dir.write("osprey.cfg", text);
    for (bool checkOnly : {true, false}) {
        std::vector<std::string> args = {"-D", "-E", "-f", path};
        if (checkOnly) args.push_back("-c");
        RunResult r = runOsprey(args);
        EXPECT_EQ(r.exitCode, 1) << r.output;
        EXPECT_NE(r.output.find(path + ":" + std::to_string(markedLine(text)) +
                                ": module 'testmod_needs_missing' needs module "
                                "'testmod_nonexistent'"),
                  std::string::npos)
            << r.output;
        EXPECT_EQ(r.output.find("ready:"), std::string::npos);
    }
}

TEST(ConfigCheck, LuaSyntaxErrorNamesScriptAndLine) {
    TempDir dir;
    dir.write("bad.lua", "function ksr_request_route()\n  if KSR.is_INVITE() then\n    return\n");
    std::string path =
        dir.write("osprey.cfg", "script = \"bad.lua\";\nmodules = ( { name = \"sl\"; } );\n");
    for (bool checkOnly : {true, false}) {
        std::vector<std::string> args = {"-D", "-E", "-f", path};
        if (checkOnly) args.push_back("-c");
        RunResult r = runOsprey(args);
        EXPECT_EQ(r.exitCode, 1) << r.output;
        EXPECT_NE(r.output.find(dir.file("bad.lua") + ":4: 'end' expected"), std::string::npos)
            << r.output;
        EXPECT_EQ(r.output.find("ready:"), std::string::npos);
    }
}

TEST(ConfigCheck, DefaultConfigOfTheTreeIsValid) {
    RunResult r = runOsprey({"-c", "-f", OSPREY_SOURCE_DIR "/etc/osprey.cfg"});
    EXPECT_EQ(r.exitCode, 0) << r.output;
}

}  // namespace
}  // namespace osprey::testsupport
