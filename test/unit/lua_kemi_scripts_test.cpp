// Kamailio's own KEMI Lua scripts (the repository's verbatim copies in scripts/bench/) run
// unchanged on the engine: stub modules with Kamailio's module and function names record what
// the script calls, and the test checks the call sequence for the main paths.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/lua/core_exports.h"
#include "core/lua/export.h"
#include "test/unit/lua_test_script.h"
#include "test/support/read_file.h"

namespace osprey::lua {
namespace {

// A benchmark script as the repository keeps it (empty when unreadable).
std::string benchScript(const char* name) {
    return testsupport::readFile(std::string(OSPREY_SOURCE_DIR) + "/scripts/bench/" + name);
}

// What the stubs answer, and what they were asked.
struct Scenario {
    int maxfwd = 1;
    int hasTotag = -1;
    int looseRoute = -1;
    int checkTrans = -1;
    int relay = 1;
    int save = 1;
    int lookup = 1;
    bool isAck = false;
    bool isCancel = false;
    bool isRegister = false;
    std::string calls = {};
} g_s;

void called(const std::string& what) {
    if (!g_s.calls.empty()) g_s.calls += ' ';
    g_s.calls += what;
}

int processMaxfwd(int limit) noexcept {
    called("process_maxfwd(" + std::to_string(limit) + ")");
    return g_s.maxfwd;
}
int sendReply(int code, std::string_view reason) noexcept {
    called("send_reply(" + std::to_string(code) + "," + std::string(reason) + ")");
    return 1;
}
int slReplyError() noexcept {
    called("sl_reply_error");
    return 1;
}
int hasTotag() noexcept {
    called("has_totag");
    return g_s.hasTotag;
}
int tCheckTrans() noexcept {
    called("t_check_trans");
    return g_s.checkTrans;
}
int tRelay() noexcept {
    called("t_relay");
    return g_s.relay;
}
int recordRoute() noexcept {
    called("record_route");
    return 1;
}
int looseRoute() noexcept {
    called("loose_route");
    return g_s.looseRoute;
}
int save(std::string_view table, int flags) noexcept {
    called("save(" + std::string(table) + "," + std::to_string(flags) + ")");
    return g_s.save;
}
int lookup(std::string_view table) noexcept {
    called("lookup(" + std::string(table) + ")");
    return g_s.lookup;
}
bool isAck() noexcept {
    called("is_ACK");
    return g_s.isAck;
}
bool isCancel() noexcept {
    called("is_CANCEL");
    return g_s.isCancel;
}
bool isRegister() noexcept {
    called("is_REGISTER");
    return g_s.isRegister;
}
int setDstUri(std::string_view uri) noexcept {
    called("setdsturi(" + std::string(uri) + ")");
    return 1;
}

constexpr FunctionSpec kMaxfwd[] = {fn<&processMaxfwd>("process_maxfwd")};
constexpr FunctionSpec kSl[] = {fn<&sendReply>("send_reply"), fn<&sendReply>("sl_send_reply"),
                                fn<&slReplyError>("sl_reply_error")};
constexpr FunctionSpec kSiputils[] = {fn<&hasTotag>("has_totag")};
constexpr FunctionSpec kTm[] = {fn<&tCheckTrans>("t_check_trans"), fn<&tRelay>("t_relay")};
constexpr FunctionSpec kRr[] = {fn<&recordRoute>("record_route"), fn<&looseRoute>("loose_route")};
constexpr FunctionSpec kRegistrar[] = {fn<&save>("save"), fn<&lookup>("lookup")};
constexpr FunctionSpec kCoreStubs[] = {fn<&isAck>("is_ACK", ""), fn<&isCancel>("is_CANCEL", ""),
                                       fn<&isRegister>("is_REGISTER", ""),
                                       fn<&setDstUri>("setdsturi", "")};

constexpr module::ModuleExport kMods[] = {
    {.name = "maxfwd", .functions = kMaxfwd},
    {.name = "sl", .functions = kSl},
    {.name = "siputils", .functions = kSiputils},
    {.name = "tm", .functions = kTm},
    {.name = "rr", .functions = kRr},
    {.name = "registrar", .functions = kRegistrar},
    {.name = "stub_core", .functions = kCoreStubs},
};

// Only the core's own exports plus the stubs, so later real core functions cannot clash.
std::unique_ptr<Engine> engineFor(const test::TempScript& script) {
    std::vector<const module::ModuleExport*> exports{&coreExport()};
    for (const auto& m : kMods) exports.push_back(&m);
    EngineOptions o;
    o.scriptPath = script.path();
    std::string err;
    auto e = Engine::create(o, exports, &err);
    EXPECT_TRUE(e) << err;
    return e;
}

std::string route(Engine& e, Scenario s) {
    g_s = std::move(s);
    Ctx ctx;
    EXPECT_EQ(e.run("ksr_request_route", ctx), RouteStatus::Ok) << e.lastError();
    return g_s.calls;
}

TEST(LuaKemiScripts, StatefulLuaRunsUnchanged) {
    const std::string text = benchScript("stateful.lua");
    ASSERT_FALSE(text.empty()) << "scripts/bench/stateful.lua not readable";
    test::TempScript script(text);
    auto e = engineFor(script);
    ASSERT_TRUE(e);
    EXPECT_EQ(route(*e, {}),
              "process_maxfwd(10) has_totag is_CANCEL t_check_trans record_route "
              "setdsturi(sip:127.0.0.1:5090) t_relay");
    EXPECT_EQ(route(*e, {.maxfwd = -1}), "process_maxfwd(10) send_reply(483,Too Many Hops)");
    EXPECT_EQ(route(*e, {.hasTotag = 1, .looseRoute = 1}),
              "process_maxfwd(10) has_totag loose_route t_relay");
    EXPECT_EQ(route(*e, {.hasTotag = 1, .isAck = true}),
              "process_maxfwd(10) has_totag loose_route is_ACK t_check_trans");
    EXPECT_EQ(route(*e, {.hasTotag = 1}),
              "process_maxfwd(10) has_totag loose_route is_ACK send_reply(404,Not here)");
    EXPECT_EQ(route(*e, {.checkTrans = 1, .isCancel = true}),
              "process_maxfwd(10) has_totag is_CANCEL t_check_trans t_relay");
    EXPECT_EQ(route(*e, {.checkTrans = 0}), "process_maxfwd(10) has_totag is_CANCEL t_check_trans");
    EXPECT_EQ(route(*e, {.relay = -1}),
              "process_maxfwd(10) has_totag is_CANCEL t_check_trans record_route "
              "setdsturi(sip:127.0.0.1:5090) t_relay sl_reply_error");
}

TEST(LuaKemiScripts, RegistrarLuaRunsUnchanged) {
    const std::string text = benchScript("registrar.lua");
    ASSERT_FALSE(text.empty()) << "scripts/bench/registrar.lua not readable";
    test::TempScript script(text);
    auto e = engineFor(script);
    ASSERT_TRUE(e);
    EXPECT_EQ(route(*e, {.isRegister = true}), "process_maxfwd(10) is_REGISTER save(location,0)");
    EXPECT_EQ(route(*e, {.save = -1, .isRegister = true}),
              "process_maxfwd(10) is_REGISTER save(location,0) sl_reply_error");
    EXPECT_EQ(route(*e, {}),
              "process_maxfwd(10) is_REGISTER has_totag is_CANCEL t_check_trans "
              "lookup(location) record_route t_relay");
    EXPECT_EQ(route(*e, {.lookup = -1}),
              "process_maxfwd(10) is_REGISTER has_totag is_CANCEL t_check_trans "
              "lookup(location) send_reply(404,Not Found)");
}

}  // namespace
}  // namespace osprey::lua
