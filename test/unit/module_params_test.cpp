// Module parameters: defaults, typed assignment, conversions, and errors naming module,
// parameter and source location.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/module/param_apply.h"

namespace osprey::module {
namespace {

int g_timer = 0;
int g_size = 0;
std::string g_name;
bool g_flag = false;
double g_ratio = 0;

constexpr ParamSpec kParams[] = {
    intParam("fr_timer", &g_timer, 30000, 100, 600000),
    intParam("hash_size", &g_size, 10, 1, 20),
    stringParam("db_url", &g_name, "none"),
    boolParam("use_domain", &g_flag, false),
    floatParam("ratio", &g_ratio, 0.25, 0.0, 1.0),
};

constexpr ModuleExport kMod{.name = "tm", .params = kParams};

config::Param param(std::string name, config::ParamValue v, int line = 7) {
    return config::Param{std::move(name), std::move(v), config::SourceLoc{"osprey.cfg", line}};
}

TEST(ModuleParams, DefaultsAreWrittenWhenNothingIsConfigured) {
    g_timer = -1;
    g_name = "stale";
    g_ratio = 9;
    std::vector<std::string> errors;
    EXPECT_TRUE(applyParams(kMod, {}, &errors));
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(g_timer, 30000);
    EXPECT_EQ(g_size, 10);
    EXPECT_EQ(g_name, "none");
    EXPECT_FALSE(g_flag);
    EXPECT_DOUBLE_EQ(g_ratio, 0.25);
}

TEST(ModuleParams, ConfiguredValuesOfEachTypeAreApplied) {
    std::vector<config::Param> ps = {
        param("fr_timer", int64_t{1500}), param("db_url", std::string("sqlite:///x.db")),
        param("use_domain", true),        param("ratio", 0.75),
        param("hash_size", int64_t{12}),
    };
    std::vector<std::string> errors;
    EXPECT_TRUE(applyParams(kMod, ps, &errors));
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(g_timer, 1500);
    EXPECT_EQ(g_size, 12);
    EXPECT_EQ(g_name, "sqlite:///x.db");
    EXPECT_TRUE(g_flag);
    EXPECT_DOUBLE_EQ(g_ratio, 0.75);
}

TEST(ModuleParams, KamailioStyleConversionsAreAccepted) {
    std::vector<config::Param> ps = {
        param("use_domain", int64_t{1}),  // Kamailio flags are ints
        param("hash_size", true),         // ...and libconfig users write booleans
        param("ratio", int64_t{1}),
    };
    std::vector<std::string> errors;
    EXPECT_TRUE(applyParams(kMod, ps, &errors)) << (errors.empty() ? "" : errors[0]);
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(g_flag);
    EXPECT_EQ(g_size, 1);
    EXPECT_DOUBLE_EQ(g_ratio, 1.0);
}

TEST(ModuleParams, UnknownParameterNamesModuleParameterAndLine) {
    std::vector<std::string> errors;
    EXPECT_FALSE(applyParams(kMod, std::vector{param("fr_timeout", int64_t{5}, 12)}, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("osprey.cfg:12"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("'tm'"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("'fr_timeout'"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("fr_timer"), std::string::npos) << "lists the known ones";
}

TEST(ModuleParams, WrongTypesAreRefused) {
    const std::vector<config::Param> bad = {
        param("fr_timer", std::string("30000"), 3),
        param("db_url", int64_t{3}, 4),
        param("use_domain", int64_t{2}, 5),
        param("ratio", std::string("x"), 6),
        param("hash_size", 1.5, 8),
    };
    std::vector<std::string> errors;
    EXPECT_FALSE(applyParams(kMod, bad, &errors));
    ASSERT_EQ(errors.size(), bad.size());
    for (size_t i = 0; i < bad.size(); ++i) {
        EXPECT_NE(errors[i].find("'" + bad[i].name + "'"), std::string::npos) << errors[i];
        EXPECT_NE(errors[i].find("must be"), std::string::npos) << errors[i];
        EXPECT_NE(errors[i].find(":" + std::to_string(bad[i].where.line)), std::string::npos)
            << errors[i];
    }
    EXPECT_EQ(g_timer, 30000) << "a refused value leaves the default";
}

TEST(ModuleParams, OutOfRangeIsRefusedWithTheRange) {
    std::vector<std::string> errors;
    EXPECT_FALSE(applyParams(kMod,
                             std::vector{param("hash_size", int64_t{21}), param("ratio", 1.5),
                                         param("fr_timer", int64_t{1} << 40)},
                             &errors));
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_NE(errors[0].find("out of range 1..20"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("out of range 0..1"), std::string::npos) << errors[1];
    EXPECT_NE(errors[2].find("out of range"), std::string::npos) << errors[2];
    EXPECT_EQ(g_size, 10);
}

TEST(ModuleParams, ModuleWithoutParametersSaysSo) {
    constexpr ModuleExport bare{.name = "sl"};
    std::vector<std::string> errors;
    EXPECT_FALSE(applyParams(bare, std::vector{param("x", true)}, &errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("takes none"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace osprey::module
