// The start-up list (core/app/startup.cpp): the orders that matter are what the list says,
// each stage's steps are together, and every step has a name and a function.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/app/hooks.h"

namespace osprey::app {
namespace {

std::vector<std::string> stepsOf(Stage stage) {
    std::vector<std::string> names;
    for (const StartupStep& s : startupSteps()) {
        if (s.stage == stage) names.push_back(s.name);
    }
    return names;
}

size_t indexOf(const std::vector<std::string>& v, const std::string& name) {
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == name) return i;
    }
    ADD_FAILURE() << "no step '" << name << "'";
    return v.size();
}

TEST(Startup, EveryStepIsNamedAndRunsSomething) {
    ASSERT_FALSE(startupSteps().empty());
    for (const StartupStep& s : startupSteps()) {
        EXPECT_NE(s.fn, nullptr) << s.name;
        ASSERT_NE(s.name, nullptr);
        EXPECT_NE(std::string(s.name), "");
    }
}

TEST(Startup, StagesAreListedInTheOrderTheyRun) {
    // One block per stage, in the order a server goes through them.
    int last = -1;
    for (const StartupStep& s : startupSteps()) {
        const int stage = static_cast<int>(s.stage);
        EXPECT_GE(stage, last) << s.name << " is listed after a later stage's steps";
        last = stage;
    }
}

TEST(Startup, DependenciesComeFirst) {
    const std::vector<std::string> check = stepsOf(Stage::Check);
    EXPECT_LT(indexOf(check, "load modules"), indexOf(check, "check Lua script"))
        << "the script is checked against the modules' functions";
    const std::vector<std::string> init = stepsOf(Stage::MasterInit);
    EXPECT_LT(indexOf(init, "init modules"), indexOf(init, "install message extensions"));
    EXPECT_LT(indexOf(init, "open UDP sockets"), indexOf(init, "collect local addresses"));
    EXPECT_LT(indexOf(init, "open TCP listeners"), indexOf(init, "collect local addresses"));
    const std::vector<std::string> child = stepsOf(Stage::ChildInit);
    EXPECT_LT(indexOf(child, "child-init modules"), indexOf(child, "start Lua engine"));
    const std::vector<std::string> exit = stepsOf(Stage::MasterExit);
    EXPECT_LT(indexOf(exit, "close UDP sockets"), indexOf(exit, "destroy modules"));
}

}  // namespace
}  // namespace osprey::app
