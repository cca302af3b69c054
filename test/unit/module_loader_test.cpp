// The module loader against real .so files (test/modules/): dlopen by name, description checks,
// parameters, dependency order, lifecycle hooks in order, and KSR functions from a module.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <lua.hpp>

#include "core/lua/builtin_exports.h"
#include "core/lua/engine.h"
#include "core/module/module_set.h"
#include "test/modules/testmod_api.h"

namespace osprey::module {
namespace {

const std::string kDir = std::string(OSPREY_BUILD_DIR) + "/test/modules";

config::ModuleSpec spec(std::string name, std::vector<config::Param> params = {}, int line = 3) {
    config::ModuleSpec s;
    s.name = std::move(name);
    s.params = std::move(params);
    s.where = config::SourceLoc{"test.cfg", line};
    return s;
}

config::Param param(std::string name, config::ParamValue v) {
    return config::Param{std::move(name), std::move(v), config::SourceLoc{"test.cfg", 4}};
}

// A pipe the test modules write their lifecycle events to.
struct Trace {
    int fds[2] = {-1, -1};
    Trace() { EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0); }
    ~Trace() {
        close(fds[0]);
        close(fds[1]);
    }
    std::string read() {
        std::string out;
        char buf[256];
        ssize_t n;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        return out;
    }
};

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& e : v) s += e + "\n";
    return s;
}

bool contains(const std::vector<std::string>& errors, const std::string& what) {
    for (const auto& e : errors) {
        if (e.find(what) != std::string::npos) return true;
    }
    return false;
}

TEST(ModuleLoader, LoadsInDependencyOrderAndRunsLifecycleHooks) {
    Trace t;
    const int64_t fd = t.fds[1];
    std::vector<config::ModuleSpec> specs = {
        spec("testmod_b", {param("trace_fd", fd)}),
        spec("testmod_a", {param("trace_fd", fd)}),
    };
    ModuleSet set;
    std::vector<std::string> errors;
    ASSERT_TRUE(set.load(specs, kDir, &errors)) << joined(errors);
    ASSERT_EQ(set.modules().size(), 2u);
    EXPECT_STREQ(set.modules()[0].desc->name, "testmod_a");
    EXPECT_STREQ(set.modules()[1].desc->name, "testmod_b");
    EXPECT_EQ(t.read(), "") << "loading runs no hook";

    std::string err;
    ASSERT_TRUE(set.initAll(&err)) << err;
    EXPECT_EQ(t.read(), "a:init\nb:init\n");

    // childInit runs in the child process after fork; the parent sees the events on the pipe.
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string e;
        _exit(set.childInitAll(proc::Rank::SipWorker, &e) ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(t.read(), "a:child" + std::to_string(static_cast<int>(proc::Rank::SipWorker)) + "\n")
        << "testmod_b has no childInit";

    set.destroyAll();
    EXPECT_EQ(t.read(), "b:destroy\na:destroy\n");
    set.destroyAll();
    EXPECT_EQ(t.read(), "") << "destroy runs once";
}

TEST(ModuleLoader, ParamsReachTheModuleAndItsLuaFunctions) {
    std::vector<config::ModuleSpec> specs = {
        spec("testmod_a", {param("count", int64_t{42}), param("label", std::string("edge-1")),
                           param("enabled", true), param("ratio", 0.125)})};
    ModuleSet set;
    std::vector<std::string> errors;
    ASSERT_TRUE(set.load(specs, kDir, &errors)) << joined(errors);

    char path[] = "/tmp/osprey_module_test_XXXXXX.lua";
    const int fd = mkstemps(path, 4);
    ASSERT_GE(fd, 0);
    const std::string script =
        "function ksr_request_route()\n"
        "  result = string.format('%d|%s|%s|%.3f|%d', KSR.testmod_a.count(),\n"
        "    KSR.testmod_a.label(), tostring(KSR.testmod_a.enabled()), KSR.testmod_a.ratio(),\n"
        "    KSR.testmod_a.add(40, 2))\n"
        "end\n";
    ASSERT_EQ(write(fd, script.data(), script.size()), static_cast<ssize_t>(script.size()));
    close(fd);

    std::vector<const ModuleExport*> exports(lua::builtinExports().begin(),
                                             lua::builtinExports().end());
    for (const ModuleExport* m : set.exports()) exports.push_back(m);
    std::string err;
    auto engine = lua::Engine::create(lua::EngineOptions{path}, exports, &err);
    unlink(path);
    ASSERT_TRUE(engine) << err;
    lua::Ctx ctx;
    ASSERT_EQ(engine->run("ksr_request_route", ctx), lua::RouteStatus::Ok) << engine->lastError();
    lua_getglobal(engine->state(), "result");
    EXPECT_STREQ(lua_tostring(engine->state(), -1), "42|edge-1|true|0.125|42");
    lua_pop(engine->state(), 1);
    engine.reset();  // before the modules are unloaded: the trampolines live in the .so
}

TEST(ModuleLoader, DefaultsApplyOnEveryLoad) {
    {
        ModuleSet set;
        std::vector<std::string> errors;
        ASSERT_TRUE(
            set.load(std::vector{spec("testmod_a", {param("count", int64_t{9})})}, kDir, &errors))
            << joined(errors);
    }
    ModuleSet set;
    std::vector<std::string> errors;
    ASSERT_TRUE(set.load(std::vector{spec("testmod_a")}, kDir, &errors)) << joined(errors);
    // The API pointer is how other modules reach a module; it also shows the module is live.
    const auto* api = set.api<testmod::Api>("testmod_a");
    ASSERT_NE(api, nullptr);
    EXPECT_EQ(api->twice(21), 42);
    EXPECT_EQ(set.api<testmod::Api>("nope"), nullptr);
}

TEST(ModuleLoader, BadParametersAreReportedWithModuleAndName) {
    std::vector<config::ModuleSpec> specs = {
        spec("testmod_a", {param("cuont", int64_t{1}), param("count", std::string("many")),
                           param("ratio", 2.0), param("count", int64_t{101})})};
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(specs, kDir, &errors));
    EXPECT_EQ(errors.size(), 4u) << joined(errors);
    EXPECT_TRUE(contains(errors, "test.cfg:4: module 'testmod_a' has no parameter 'cuont'"))
        << joined(errors);
    EXPECT_TRUE(contains(errors, "parameter 'count' must be an integer")) << joined(errors);
    EXPECT_TRUE(contains(errors, "parameter 'ratio' is 2, out of range 0..1")) << joined(errors);
    EXPECT_TRUE(contains(errors, "parameter 'count' is 101, out of range 1..100"))
        << joined(errors);
    EXPECT_TRUE(set.modules().empty()) << "nothing stays loaded after an error";
}

TEST(ModuleLoader, UnknownModuleIsNamed) {
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(std::vector{spec("no_such_module", {}, 9)}, kDir, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("test.cfg:9: unknown module 'no_such_module'"), std::string::npos)
        << errors[0];
}

TEST(ModuleLoader, NamesThatAreNotModuleNamesAreRefused) {
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(std::vector{spec("../testmod_a/testmod_a")}, kDir, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("invalid module name"), std::string::npos) << errors[0];
}

TEST(ModuleLoader, MissingDependencyIsAnError) {
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(std::vector{spec("testmod_b")}, kDir, &errors));
    EXPECT_TRUE(contains(errors, "'testmod_b' needs module 'testmod_a'")) << joined(errors);

    errors.clear();
    EXPECT_FALSE(set.load(std::vector{spec("testmod_needs_missing")}, kDir, &errors));
    EXPECT_TRUE(contains(errors, "needs module 'testmod_nonexistent'")) << joined(errors);

    // Reported together with other errors, in one run.
    errors.clear();
    EXPECT_FALSE(set.load(std::vector{spec("testmod_b", {param("bogus", true)})}, kDir, &errors));
    EXPECT_EQ(errors.size(), 2u) << joined(errors);
    EXPECT_TRUE(contains(errors, "has no parameter 'bogus'")) << joined(errors);
    EXPECT_TRUE(contains(errors, "'testmod_b' needs module 'testmod_a'")) << joined(errors);
}

TEST(ModuleLoader, DependencyCycleIsAnError) {
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(
        set.load(std::vector{spec("testmod_cycle1"), spec("testmod_cycle2")}, kDir, &errors));
    EXPECT_TRUE(contains(errors, "testmod_cycle1 -> testmod_cycle2 -> testmod_cycle1"))
        << joined(errors);
}

TEST(ModuleLoader, AbiMismatchMissingDescriptionAndWrongNameAreRefused) {
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(
        std::vector{spec("testmod_badabi"), spec("testmod_nosym"), spec("testmod_misnamed")}, kDir,
        &errors));
    ASSERT_EQ(errors.size(), 3u) << joined(errors);
    EXPECT_NE(errors[0].find("built for module ABI 999"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("has no 'osprey_module' description"), std::string::npos) << errors[1];
    EXPECT_NE(errors[2].find("describes itself as 'something_else'"), std::string::npos)
        << errors[2];
}

TEST(ModuleLoader, DuplicateModuleIsAnError) {
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(std::vector{spec("testmod_a"), spec("testmod_a", {}, 5)}, kDir, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("test.cfg:5: module 'testmod_a' is listed twice"), std::string::npos)
        << errors[0];
}

TEST(ModuleLoader, DlopenFailureIsReported) {
    char dir[] = "/tmp/osprey_modules_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string so = std::string(dir) + "/broken.so";
    std::ofstream(so) << "this is not an ELF file";
    ModuleSet set;
    std::vector<std::string> errors;
    EXPECT_FALSE(set.load(std::vector{spec("broken")}, dir, &errors));
    unlink(so.c_str());
    rmdir(dir);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("module 'broken': cannot load " + so), std::string::npos) << errors[0];
}

TEST(ModuleLoader, FailingInitNamesTheModule) {
    std::vector<config::ModuleSpec> specs = {spec("testmod_a"),
                                             spec("testmod_b", {param("fail_init", true)})};
    ModuleSet set;
    std::vector<std::string> errors;
    ASSERT_TRUE(set.load(specs, kDir, &errors)) << joined(errors);
    std::string err;
    EXPECT_FALSE(set.initAll(&err));
    EXPECT_EQ(err, "module 'testmod_b': init failed");
    EXPECT_TRUE(set.modules()[0].initDone);
    EXPECT_FALSE(set.modules()[1].initDone);
    set.destroyAll();
}

}  // namespace
}  // namespace osprey::module
