// Dependency ordering of modules: dependencies first, config order otherwise, clear errors for
// missing dependencies and cycles.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/module/dep_order.h"
#include "core/module/module_export.h"

namespace osprey::module {
namespace {

constexpr const char* kNeedsUsrloc[] = {"usrloc"};
constexpr const char* kNeedsTmSl[] = {"tm", "sl"};
constexpr const char* kNeedsA[] = {"a"};
constexpr const char* kNeedsB[] = {"b"};
constexpr const char* kNeedsC[] = {"c"};

std::vector<std::string> names(const std::vector<const ModuleExport*>& mods,
                               const std::vector<size_t>& order) {
    std::vector<std::string> out;
    for (size_t i : order) out.push_back(mods[i]->name);
    return out;
}

TEST(ModuleDepOrder, DependenciesComeFirstOtherwiseConfigOrder) {
    const ModuleExport registrar{.name = "registrar", .deps = kNeedsUsrloc};
    const ModuleExport tmx{.name = "tmx", .deps = kNeedsTmSl};
    const ModuleExport usrloc{.name = "usrloc"};
    const ModuleExport sl{.name = "sl"};
    const ModuleExport tm{.name = "tm"};
    const ModuleExport pv{.name = "pv"};
    std::vector<const ModuleExport*> mods = {&pv, &registrar, &tmx, &usrloc, &sl, &tm};
    std::vector<size_t> order;
    std::vector<std::string> errors;
    ASSERT_TRUE(dependencyOrder(mods, &order, &errors));
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(names(mods, order),
              (std::vector<std::string>{"pv", "usrloc", "registrar", "tm", "sl", "tmx"}));
}

TEST(ModuleDepOrder, MissingDependencyIsNamed) {
    const ModuleExport registrar{.name = "registrar", .deps = kNeedsUsrloc};
    std::vector<const ModuleExport*> mods = {&registrar};
    std::vector<size_t> order;
    std::vector<std::string> errors;
    EXPECT_FALSE(dependencyOrder(mods, &order, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("'registrar' needs module 'usrloc'"), std::string::npos) << errors[0];
}

TEST(ModuleDepOrder, CycleIsReportedWithItsPath) {
    const ModuleExport a{.name = "a", .deps = kNeedsB};
    const ModuleExport b{.name = "b", .deps = kNeedsC};
    const ModuleExport c{.name = "c", .deps = kNeedsA};
    std::vector<const ModuleExport*> mods = {&a, &b, &c};
    std::vector<size_t> order;
    std::vector<std::string> errors;
    EXPECT_FALSE(dependencyOrder(mods, &order, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("a -> b -> c -> a"), std::string::npos) << errors[0];
}

TEST(ModuleDepOrder, SelfDependencyIsACycle) {
    const ModuleExport a{.name = "a", .deps = kNeedsA};
    std::vector<const ModuleExport*> mods = {&a};
    std::vector<size_t> order;
    std::vector<std::string> errors;
    EXPECT_FALSE(dependencyOrder(mods, &order, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("a -> a"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace osprey::module
