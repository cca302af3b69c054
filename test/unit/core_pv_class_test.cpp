// Module pseudo-variable classes (core/pv/pv_class.h): a registered "$name(...)" parses to
// the module's class with its inner text as written (a `plain` one as "$name" alone), and
// get/set/unset reach the module's functions through the ordinary pv calls; a name the core
// or another module already has is refused, and a read-only class refuses writes.
#include <gtest/gtest.h>

#include <string>

#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/pv/pv_class.h"
#include "core/pv/pv_name.h"
#include "core/route/msg_context.h"
#include "mem/pkg.h"

namespace osprey::pv {
namespace {

std::string g_stored;
std::string g_lastArg;

lua::PvValue getBox(route::MsgContext&, std::string_view arg) {
    g_lastArg = std::string(arg);
    if (g_stored.empty()) return {};
    return std::string_view(g_stored);
}
bool setBoxStr(route::MsgContext&, std::string_view arg, std::string_view v) {
    g_lastArg = std::string(arg);
    g_stored = std::string(v);
    return true;
}
bool setBoxInt(route::MsgContext&, std::string_view, int64_t v) {
    g_stored = "#" + std::to_string(v);
    return true;
}
bool unsetBox(route::MsgContext&, std::string_view) {
    g_stored.clear();
    return true;
}
lua::PvValue getConst(route::MsgContext&, std::string_view) {
    return int64_t{7};
}

constexpr PvClass kClasses[] = {
    {"tbox", &getBox, &setBoxStr, &setBoxInt, &unsetBox},
    {"tconst", &getConst},
    {.name = "tplain", .get = &getConst, .plain = true},
};

TEST(PvClass, RegisteredClassesParseAndDispatch) {
    if (!mem::pkgReady()) mem::pkgInit(4u << 20);
    ASSERT_TRUE(registerPvClasses(kClasses));
    constexpr PvClass kTaken[] = {{"hdr", &getConst}};
    EXPECT_FALSE(registerPvClasses(kTaken));    // the core's $hdr(...)
    EXPECT_FALSE(registerPvClasses(kClasses));  // already there

    PvSpec spec;
    ASSERT_EQ(parsePvName("$tbox(t=>$si::x y)", spec), PvNameError::Ok);
    EXPECT_EQ(spec.kind, PvKind::ModuleClass);
    EXPECT_EQ(spec.arg, "t=>$si::x y");  // any inner text, as written
    EXPECT_TRUE(pvWritable(spec.kind));

    route::MsgContext mc;
    const PvLookup r = pvLookup("$tbox(k=>1)");
    ASSERT_EQ(r.error, PvNameError::Ok);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(pvGet(mc, r.spec)));
    ASSERT_TRUE(pvSetStr(mc, r.spec, "value"));
    EXPECT_EQ(g_lastArg, "k=>1");
    EXPECT_EQ(std::get<std::string_view>(pvGet(mc, r.spec)), "value");
    ASSERT_TRUE(pvSetInt(mc, r.spec, 12));
    EXPECT_EQ(g_stored, "#12");
    ASSERT_TRUE(pvUnset(mc, r.spec));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(pvGet(mc, r.spec)));

    const PvLookup c = pvLookup("$tconst(x)");
    ASSERT_EQ(c.error, PvNameError::Ok);
    EXPECT_EQ(std::get<int64_t>(pvGet(mc, c.spec)), 7);
    EXPECT_FALSE(pvSetStr(mc, c.spec, "no"));  // read-only class
    EXPECT_FALSE(pvSetInt(mc, c.spec, 1));
    EXPECT_EQ(parsePvName("$tnone(x)", spec), PvNameError::Unknown);

    // A plain name ($T_reply_code's shape) parses without parentheses, and only so.
    const PvLookup p = pvLookup("$tplain");
    ASSERT_EQ(p.error, PvNameError::Ok);
    EXPECT_EQ(p.spec.kind, PvKind::ModuleClass);
    EXPECT_EQ(std::get<int64_t>(pvGet(mc, p.spec)), 7);
    EXPECT_NE(parsePvName("$tplain(x)", spec), PvNameError::Ok);
    EXPECT_NE(parsePvName("$tconst", spec), PvNameError::Ok);
}

}  // namespace
}  // namespace osprey::pv
