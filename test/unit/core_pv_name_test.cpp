// Pseudo-variable names: parsing (Kamailio spellings, class forms, bad names) and the
// per-process cache (parsed once, $var slot resolved once, bad names never cached).
#include <gtest/gtest.h>

#include <string>

#include "core/pv/pv_cache.h"
#include "core/pv/pv_name.h"
#include "core/pv/script_vars.h"
#include "mem/pkg.h"

namespace osprey::pv {
namespace {

class PvName : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
        pvCacheClear();
        scriptVarsClear();
    }
};

PvKind kindOf(std::string_view name) {
    PvSpec s;
    EXPECT_EQ(parsePvName(name, s), PvNameError::Ok) << name;
    return s.kind;
}

TEST_F(PvName, PlainNamesAreCaseSensitiveAsInKamailio) {
    EXPECT_EQ(kindOf("$ru"), PvKind::RUri);
    EXPECT_EQ(kindOf("$rU"), PvKind::RUser);
    EXPECT_EQ(kindOf("$rd"), PvKind::RHost);
    EXPECT_EQ(kindOf("$du"), PvKind::DUri);
    EXPECT_EQ(kindOf("$tt"), PvKind::ToTag);
    EXPECT_EQ(kindOf("$fU"), PvKind::FromUser);
    EXPECT_EQ(kindOf("$au"), PvKind::AuthUser);
    EXPECT_EQ(kindOf("$aU"), PvKind::AuthUsername);
    EXPECT_EQ(kindOf("$Ri"), PvKind::RcvIp);
    EXPECT_EQ(kindOf("$si"), PvKind::SrcIp);
    EXPECT_EQ(kindOf("$null"), PvKind::Null);
    PvSpec s;
    EXPECT_EQ(parsePvName("$RU", s), PvNameError::Unknown);
    EXPECT_EQ(parsePvName("$ri", s), PvNameError::Unknown);
}

TEST_F(PvName, ClassFormsKeepTheInnerName) {
    PvSpec s;
    ASSERT_EQ(parsePvName("$hdr(X-Foo)", s), PvNameError::Ok);
    EXPECT_EQ(s.kind, PvKind::Header);
    EXPECT_EQ(s.arg, "X-Foo");
    ASSERT_EQ(parsePvName("$var(count_1)", s), PvNameError::Ok);
    EXPECT_EQ(s.kind, PvKind::Var);
    EXPECT_EQ(s.arg, "count_1");
}

TEST_F(PvName, BadNamesSayWhy) {
    PvSpec s;
    EXPECT_EQ(parsePvName("", s), PvNameError::NoDollar);
    EXPECT_EQ(parsePvName("$", s), PvNameError::NoDollar);
    EXPECT_EQ(parsePvName("ru", s), PvNameError::NoDollar);
    EXPECT_EQ(parsePvName("$nope", s), PvNameError::Unknown);
    EXPECT_EQ(parsePvName("$ru ", s), PvNameError::Unknown);
    EXPECT_EQ(parsePvName("$hdr()", s), PvNameError::BadClass);
    EXPECT_EQ(parsePvName("$hdr(Via", s), PvNameError::BadClass);
    EXPECT_EQ(parsePvName("$hdr(a b)", s), PvNameError::BadClass);
    EXPECT_EQ(parsePvName("$hdr(Via)[1]", s), PvNameError::BadClass);
    EXPECT_EQ(parsePvName("$avp(x)", s), PvNameError::Unknown);
    EXPECT_STRNE(pvNameErrorText(PvNameError::Unknown), "?");
}

TEST_F(PvName, WritableOnesAreTheRoutingOnes) {
    EXPECT_TRUE(pvWritable(PvKind::RUri));
    EXPECT_TRUE(pvWritable(PvKind::RUser));
    EXPECT_TRUE(pvWritable(PvKind::DUri));
    EXPECT_TRUE(pvWritable(PvKind::Var));
    EXPECT_FALSE(pvWritable(PvKind::FromUser));
    EXPECT_FALSE(pvWritable(PvKind::SrcIp));
}

TEST_F(PvName, CacheParsesANameOnceAndOwnsItsText) {
    std::string name = "$hdr(X-Long-Header-Name)";
    PvLookup a = pvLookup(name);
    ASSERT_EQ(a.error, PvNameError::Ok);
    EXPECT_TRUE(a.cached);
    EXPECT_EQ(pvCacheSize(), 1u);
    // The caller's text may go away: the cached spec points into the cache's own copy.
    EXPECT_NE(a.spec.arg.data(), name.data() + 5);
    name.assign(name.size(), 'x');
    PvLookup b = pvLookup("$hdr(X-Long-Header-Name)");
    EXPECT_TRUE(b.cached);
    EXPECT_EQ(b.spec.arg, "X-Long-Header-Name");
    EXPECT_EQ(b.spec.arg.data(), a.spec.arg.data());
    EXPECT_EQ(pvCacheSize(), 1u);
}

TEST_F(PvName, BadNamesAreNotCached) {
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(pvLookup("$nope" + std::to_string(i)).error, PvNameError::Unknown);
    }
    EXPECT_EQ(pvCacheSize(), 0u);
}

TEST_F(PvName, ManyNamesStillResolveWhenTheCacheIsFull) {
    for (uint32_t i = 0; i < kPvCacheSlots; ++i) {
        const std::string name = "$hdr(X-" + std::to_string(i) + ")";  // outlives r
        PvLookup r = pvLookup(name);
        ASSERT_EQ(r.error, PvNameError::Ok);
        EXPECT_EQ(r.spec.arg, "X-" + std::to_string(i));
    }
    EXPECT_LE(pvCacheSize(), kPvCacheSlots / 4 * 3);
    PvLookup again = pvLookup("$hdr(X-7)");
    EXPECT_TRUE(again.cached);
    EXPECT_EQ(again.spec.arg, "X-7");
}

TEST_F(PvName, VarSlotIsResolvedOnceAndKeepsItsValue) {
    PvLookup a = pvLookup("$var(n)");
    ASSERT_EQ(a.error, PvNameError::Ok);
    ASSERT_GE(a.spec.slot, 0);
    EXPECT_EQ(std::get<int64_t>(scriptVarGet(a.spec.slot)), 0) << "a new $var is 0";
    ASSERT_TRUE(scriptVarSetStr(a.spec.slot, "hello"));
    EXPECT_EQ(std::get<std::string_view>(scriptVarGet(a.spec.slot)), "hello");
    ASSERT_TRUE(scriptVarSetStr(a.spec.slot, std::string(100, 'y')));
    EXPECT_EQ(std::get<std::string_view>(scriptVarGet(a.spec.slot)), std::string(100, 'y'));
    ASSERT_TRUE(scriptVarSetInt(a.spec.slot, -5));
    EXPECT_EQ(std::get<int64_t>(scriptVarGet(a.spec.slot)), -5);
    EXPECT_EQ(pvLookup("$var(n)").spec.slot, a.spec.slot);
    EXPECT_NE(pvLookup("$var(m)").spec.slot, a.spec.slot);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(scriptVarGet(-1)));
    EXPECT_FALSE(scriptVarSetInt(kMaxScriptVars, 1));
}

}  // namespace
}  // namespace osprey::pv
