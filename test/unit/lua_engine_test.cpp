// The Lua engine: route calls, KSR.x.exit/drop from any depth, runtime errors with script:line
// that leave the engine working, the memory cap, script loading and syntax errors, flags, log.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include <lua.hpp>

#include "core/log/log.h"
#include "core/lua/script_check.h"
#include "core/lua/script_reload.h"
#include "test/unit/lua_test_script.h"

namespace osprey::lua {
namespace {

using test::makeEngine;
using test::TempScript;

std::string baseName(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

std::string globalText(Engine& e, const char* name) {
    lua_getglobal(e.state(), name);
    const char* s = lua_tostring(e.state(), -1);
    std::string out = s != nullptr ? s : (lua_isnil(e.state(), -1) ? "nil" : "?");
    lua_pop(e.state(), 1);
    return out;
}

const char* kNested =
    "function inner(how) if how == 'drop' then KSR.x.drop() else KSR.x.exit() end\n"
    "  after_stop = true end\n"
    "function middle(how) inner(how); after_inner = true end\n"
    "function ksr_request_route() before = 'yes'; middle('exit'); after_middle = true end\n"
    "function drop_route() before = 'dropped'; middle('drop'); after_middle = true end\n"
    "function plain_route() plain = 'ran' end\n";

TEST(LuaEngine, ExitFromNestedCallsStopsTheRoute) {
    TempScript script(kNested);
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Exit);
    EXPECT_EQ(globalText(*e, "before"), "yes");
    EXPECT_EQ(globalText(*e, "after_stop"), "nil");
    EXPECT_EQ(globalText(*e, "after_inner"), "nil");
    EXPECT_EQ(globalText(*e, "after_middle"), "nil");
    EXPECT_FALSE(ctx.dropped);
    EXPECT_TRUE(e->lastError().empty()) << "exit is not an error";
    EXPECT_EQ(e->run("plain_route", ctx), RouteStatus::Ok);
    EXPECT_EQ(globalText(*e, "plain"), "ran");
}

TEST(LuaEngine, DropFromNestedCallsMarksTheMessage) {
    TempScript script(kNested);
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    EXPECT_EQ(e->run("drop_route", ctx), RouteStatus::Drop);
    EXPECT_TRUE(ctx.dropped);
    EXPECT_EQ(globalText(*e, "before"), "dropped");
    EXPECT_EQ(globalText(*e, "after_middle"), "nil");
    Ctx next;
    EXPECT_EQ(e->run("ksr_request_route", next), RouteStatus::Exit);
    EXPECT_FALSE(next.dropped);
}

TEST(LuaEngine, RuntimeErrorGivesScriptLineAndTheEngineCarriesOn) {
    TempScript script(
        "function helper(t)\n"
        "  return t.field.missing\n"  // line 2
        "end\n"
        "function ksr_request_route() n = (n or 0) + 1; helper({}) end\n"
        "function ksr_reply_route() replies = (replies or 0) + 1 end\n"
        "function bad_object() error({}) end\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    for (int i = 1; i <= 3; ++i) {
        EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Error);
        const std::string msg(e->lastError());
        EXPECT_NE(msg.find(baseName(script.path()) + ":2: attempt to index"), std::string::npos)
            << msg;
        EXPECT_NE(msg.find("stack traceback"), std::string::npos) << msg;
        EXPECT_NE(msg.find(":4:"), std::string::npos) << "the caller's line too: " << msg;
        EXPECT_EQ(e->run("ksr_reply_route", ctx), RouteStatus::Ok);
        EXPECT_EQ(globalText(*e, "replies"), std::to_string(i));
        EXPECT_EQ(globalText(*e, "n"), std::to_string(i)) << "state survives errors";
    }
    EXPECT_EQ(e->run("bad_object", ctx), RouteStatus::Error);
    EXPECT_NE(e->lastError().find("(error object is a table value)"), std::string::npos);
    EXPECT_EQ(e->rebuilds(), 0u);
}

TEST(LuaEngine, MissingRouteIsReportedNotCalled) {
    TempScript script("function ksr_request_route() end\nnot_a_function = 3\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    EXPECT_EQ(e->run("ksr_reply_route", ctx), RouteStatus::NoRoute);
    EXPECT_EQ(e->run("not_a_function", ctx), RouteStatus::NoRoute);
    EXPECT_TRUE(e->hasFunction("ksr_request_route"));
    EXPECT_FALSE(e->hasFunction("ksr_reply_route"));
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok);
}

TEST(LuaEngine, MemoryCapStopsARunawayScriptAndTheStateIsRebuilt) {
    TempScript script(
        "hog = {}\n"
        "loads = (loads or 0) + 1\n"
        "function ksr_request_route()\n"
        "  local i = 0\n"
        "  while true do i = i + 1; hog[i] = string.rep('x', 4096) .. i end\n"
        "end\n"
        "function ok_route() ok = (ok or 0) + 1 end\n"
        "function sneaky_route()\n"
        "  for k = 1, 3 do\n"
        "    pcall(function() local j = 0\n"
        "      while true do j = j + 1; hog[j] = string.rep('x', 4096) .. j end end)\n"
        "    hog = {}\n"
        "  end\n"
        "  survived = true\n"
        "end\n");
    constexpr size_t kLimit = 8u << 20;
    std::string err;
    auto e = makeEngine(script, &err, {}, kLimit);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    EXPECT_EQ(e->run("ok_route", ctx), RouteStatus::Ok);
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Error);
    EXPECT_NE(e->lastError().find("memory limit of 8192 KiB reached"), std::string::npos)
        << e->lastError();
    EXPECT_NE(e->lastError().find(baseName(script.path()) + ":5:"), std::string::npos)
        << e->lastError();
    EXPECT_EQ(e->rebuilds(), 1u);
    EXPECT_GT(e->memory().overLimit, 0u);
    EXPECT_LE(e->memory().peak, e->memory().hardLimit());
    EXPECT_LT(e->memory().used, kLimit / 2) << "the rebuilt state starts small";
    // A fresh state: the hog is empty again and the earlier globals are gone.
    EXPECT_EQ(globalText(*e, "ok"), "nil");
    EXPECT_EQ(e->run("ok_route", ctx), RouteStatus::Ok);
    EXPECT_EQ(globalText(*e, "ok"), "1");
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Error);
    EXPECT_EQ(e->rebuilds(), 2u);
    EXPECT_EQ(e->run("ok_route", ctx), RouteStatus::Ok);
    // The script's own pcall cannot swallow the limit: it is raised again until the route ends.
    EXPECT_EQ(e->run("sneaky_route", ctx), RouteStatus::Error);
    EXPECT_NE(e->lastError().find("memory limit"), std::string::npos) << e->lastError();
    EXPECT_EQ(e->rebuilds(), 3u);
    EXPECT_EQ(e->run("ok_route", ctx), RouteStatus::Ok);
}

TEST(LuaEngine, WithoutTheJitTheCapIsExact) {
    // Table constructors in a compiled loop allocate inside the trace, where the soft limit's
    // hook cannot fire; the interpreter checks at every instruction.
    TempScript script(
        "function ksr_request_route()\n"
        "  hog = {}; local j = 0\n"
        "  while true do j = j + 1; hog[j] = {j} end\n"
        "end\n");
    constexpr size_t kLimit = 8u << 20;
    std::vector<const module::ModuleExport*> exports(builtinExports().begin(),
                                                     builtinExports().end());
    EngineOptions o;
    o.scriptPath = script.path();
    o.memoryLimit = kLimit;
    o.jit = false;
    std::string err;
    auto e = Engine::create(o, exports, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Error);
    EXPECT_NE(e->lastError().find(":3: Lua memory limit"), std::string::npos) << e->lastError();
    EXPECT_LE(e->memory().peak, kLimit + (kLimit >> 4));
    EXPECT_EQ(e->rebuilds(), 1u);
}

TEST(LuaEngine, GarbageAloneDoesNotHitTheCap) {
    // 100k strings of ~1 KiB = ~100 MiB allocated in total, little of it alive at once.
    TempScript script(
        "function ksr_request_route()\n"
        "  local keep\n"
        "  for i = 1, 100000 do keep = string.rep('y', 1000) .. i end\n"
        "  last = #keep\n"
        "end\n");
    constexpr size_t kLimit = 8u << 20;
    std::string err;
    auto e = makeEngine(script, &err, {}, kLimit);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok) << e->lastError();
    }
    EXPECT_EQ(globalText(*e, "last"), "1006");
    EXPECT_EQ(e->rebuilds(), 0u);
    EXPECT_EQ(e->memory().refused, 0u);
    EXPECT_EQ(e->memory().overLimit, 0u);
}

TEST(LuaEngine, CapTooSmallForTheScriptIsACreateError) {
    TempScript script("big = string.rep('z', 1 << 20)\nfunction ksr_request_route() end\n");
    std::string err;
    EXPECT_FALSE(makeEngine(script, &err, {}, 512u << 10));
    EXPECT_FALSE(err.empty());
}

TEST(LuaEngine, ScriptErrorsAtLoadNameFileAndLine) {
    {
        TempScript script("-- a syntax error\nfunction ksr_request_route()\n  x = = 1\nend\n");
        std::string err;
        EXPECT_FALSE(makeEngine(script, &err));
        EXPECT_NE(err.find(baseName(script.path()) + ":3:"), std::string::npos) << err;
    }
    {
        TempScript script("function ksr_request_route() end\nlocal x = nil\nx.y = 1\n");
        std::string err;
        EXPECT_FALSE(makeEngine(script, &err));
        EXPECT_NE(err.find(baseName(script.path()) + ":3:"), std::string::npos) << err;
    }
    {
        TempScript script("function ksr_reply_route() end\n");
        std::string err;
        EXPECT_FALSE(makeEngine(script, &err));
        EXPECT_NE(err.find("defines no function ksr_request_route"), std::string::npos) << err;
    }
    {
        std::string err;
        EngineOptions o;
        o.scriptPath = "/nonexistent/osprey.lua";
        EXPECT_FALSE(Engine::create(o, builtinExports(), &err));
        EXPECT_NE(err.find("cannot open Lua script /nonexistent/osprey.lua"), std::string::npos)
            << err;
    }
}

TEST(LuaEngine, ExitAtTopLevelEndsLoadingWithoutError) {
    TempScript script("function ksr_request_route() end\nKSR.x.exit()\nnever = true\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    EXPECT_EQ(globalText(*e, "never"), "nil");
}

TEST(LuaEngine, ReloadSwapsTheScriptAndKeepsTheOldOneOnError) {
    TempScript script("version = 1\nfunction ksr_request_route() seen = version end\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    ASSERT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok);
    EXPECT_EQ(globalText(*e, "seen"), "1");

    auto rewrite = [&](const std::string& text) {
        FILE* f = fopen(script.path().c_str(), "w");
        ASSERT_NE(f, nullptr);
        fputs(text.c_str(), f);
        fclose(f);
    };
    rewrite("version = 2\nfunction ksr_request_route() seen = version * 10 end\n");
    ASSERT_TRUE(e->reload(&err)) << err;
    EXPECT_EQ(e->reloads(), 1u);
    ASSERT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok);
    EXPECT_EQ(globalText(*e, "seen"), "20");

    rewrite("version = 3\nfunction ksr_request_route( seen = 3 end\n");
    EXPECT_FALSE(e->reload(&err));
    EXPECT_NE(err.find(baseName(script.path()) + ":2:"), std::string::npos) << err;
    EXPECT_EQ(e->reloads(), 1u);
    ASSERT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok) << "the old script still runs";
    EXPECT_EQ(globalText(*e, "seen"), "20");
}

TEST(LuaEngine, ReplaceScriptStartsFromAFreshStateUnderTheNewName) {
    TempScript script("OLD = 'old'\nfunction ksr_request_route() seen = OLD end\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    lua_State* before = e->state();
    ASSERT_TRUE(e->replaceScript("/nowhere/next.lua",
                                 "function ksr_request_route() seen = tostring(OLD) end\n", &err))
        << err;
    EXPECT_NE(e->state(), before);
    EXPECT_EQ(e->scriptPath(), "/nowhere/next.lua");
    ASSERT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok);
    EXPECT_EQ(globalText(*e, "seen"), "nil") << "a global of the old script survived";

    // A failing text names the new path and leaves the running state alone.
    lua_State* running = e->state();
    EXPECT_FALSE(e->replaceScript("/nowhere/bad.lua", "x = 1\nerror('boom')\n", &err));
    EXPECT_NE(err.find("/nowhere/bad.lua:2: boom"), std::string::npos) << err;
    EXPECT_FALSE(e->replaceScript("/nowhere/bad.lua", "x = 1\n", &err));
    EXPECT_NE(err.find("defines no function ksr_request_route"), std::string::npos) << err;
    EXPECT_EQ(e->state(), running);
    EXPECT_EQ(e->scriptPath(), "/nowhere/next.lua");
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok);
}

TEST(LuaScriptReload, RetriesBackOffToAMinute) {
    EXPECT_EQ(reloadRetryDelayMs(1), 1000);
    EXPECT_EQ(reloadRetryDelayMs(2), 2000);
    EXPECT_EQ(reloadRetryDelayMs(3), 4000);
    EXPECT_EQ(reloadRetryDelayMs(6), 32000);
    EXPECT_EQ(reloadRetryDelayMs(7), 60000);
    EXPECT_EQ(reloadRetryDelayMs(1000), 60000);
}

TEST(LuaScriptCheck, SyntaxErrorGivesFileAndLine) {
    TempScript bad("-- comment\nfunction ksr_request_route()\n  local = 3\nend\n");
    std::string err;
    EXPECT_FALSE(checkScriptSyntax(bad.path(), &err));
    EXPECT_NE(err.find(bad.path() + ":3:"), std::string::npos) << err;

    // Only compiled, never run: a runtime error at top level passes the syntax check.
    TempScript good("error('would fail at run time')\nfunction ksr_request_route() end\n");
    EXPECT_TRUE(checkScriptSyntax(good.path(), &err)) << err;

    EXPECT_FALSE(checkScriptSyntax("/nonexistent/x.lua", &err));
    EXPECT_NE(err.find("/nonexistent/x.lua"), std::string::npos) << err;
}

TEST(LuaCore, FlagsLiveOnTheMessageContext) {
    TempScript script(
        "function ksr_request_route()\n"
        "  r = table.concat({KSR.setflag(3), KSR.setflag(63), tostring(KSR.isflagset(3)),\n"
        "    KSR.resetflag(3), tostring(KSR.isflagset(3)), KSR.setflag(64), KSR.setflag(-1),\n"
        "    tostring(KSR.isflagset(99)), tostring(KSR.isflagset(5))}, ',')\n"
        "end\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    ctx.flags = uint64_t{1} << 5;
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok) << e->lastError();
    EXPECT_EQ(globalText(*e, "r"), "1,1,true,1,false,-1,-1,false,true");
    EXPECT_EQ(ctx.flags, (uint64_t{1} << 63) | (uint64_t{1} << 5));
    Ctx other;
    EXPECT_EQ(e->run("ksr_request_route", other), RouteStatus::Ok);
    EXPECT_EQ(other.flags, uint64_t{1} << 63) << "flags belong to each message";
}

TEST(LuaCore, LogFunctionsWriteAtTheirLevel) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    log::init(log::Target::Stderr, log::Level::Info);
    log::setOutputFd(fds[1]);
    TempScript script(
        "function ksr_request_route()\n"
        "  KSR.info('info-text\\n'); KSR.dbg('debug-text'); KSR.err('err-text')\n"
        "  KSR.warn('warn-text'); KSR.notice('notice-text'); KSR.crit('crit-text')\n"
        "  KSR.log('info', 'log-info'); KSR.log('dbg', 'log-dbg')\n"
        "end\n");
    std::string err;
    auto e = makeEngine(script, &err);
    ASSERT_TRUE(e) << err;
    Ctx ctx;
    EXPECT_EQ(e->run("ksr_request_route", ctx), RouteStatus::Ok) << e->lastError();
    log::setOutputFd(2);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    close(fds[1]);
    for (const char* t :
         {"info-text", "err-text", "warn-text", "notice-text", "crit-text", "log-info"}) {
        EXPECT_NE(out.find(t), std::string::npos) << t << " in:\n" << out;
    }
    EXPECT_EQ(out.find("debug-text"), std::string::npos) << "below the level";
    EXPECT_EQ(out.find("log-dbg"), std::string::npos);
    EXPECT_EQ(out.find("info-text\n\n"), std::string::npos) << "one line end, not two";
}

}  // namespace
}  // namespace osprey::lua
