// Pseudo-variable getters and setters on a real parsed request and reply (no router): every
// pv of the list against a known message, R-URI rewrites part by part, $du, $var, and $null
// where Kamailio gives it.
#include <gtest/gtest.h>

#include <string>

#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/pv/script_vars.h"
#include "core/route/msg_context.h"
#include "mem/pkg.h"
#include "test/support/pv_invite.h"
#include "test/support/system_alloc_count.h"

namespace osprey::pv {
namespace {

using lua::PvValue;

constexpr std::string_view kInvite = testsupport::kPvInvite;

class PvAccess : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
    }
    void SetUp() override {
        ASSERT_TRUE(sip::parseMsg(mc.msg, kInvite));
        net::RecvInfo info;
        ASSERT_TRUE(net::parseIp("192.0.2.1", 5062, info.src));
        mc.start(info);
    }
    void TearDown() override { mc.reset(); }

    PvValue get(std::string_view name) {
        PvLookup r = pvLookup(name);
        EXPECT_EQ(r.error, PvNameError::Ok) << name;
        return pvGet(mc, r.spec);
    }
    std::string str(std::string_view name) {
        PvValue v = get(name);
        const auto* s = std::get_if<std::string_view>(&v);
        return s != nullptr ? std::string(*s) : "<not a string>";
    }
    int64_t num(std::string_view name) {
        PvValue v = get(name);
        const auto* i = std::get_if<int64_t>(&v);
        return i != nullptr ? *i : -999;
    }
    bool isNull(std::string_view name) { return std::holds_alternative<std::monostate>(get(name)); }
    bool sets(std::string_view name, std::string_view v) {
        return pvSetStr(mc, pvLookup(name).spec, v);
    }

    route::MsgContext mc;
};

TEST_F(PvAccess, RequestUriParts) {
    EXPECT_EQ(str("$ru"), "sip:bob@example.com:5070;transport=udp");
    EXPECT_EQ(str("$rU"), "bob");
    EXPECT_EQ(str("$rd"), "example.com");
    EXPECT_EQ(num("$rp"), 5070);
    EXPECT_EQ(str("$rz"), "sip");
}

TEST_F(PvAccess, FromAndTo) {
    EXPECT_EQ(str("$fu"), "sip:alice@atlanta.example.com");
    EXPECT_EQ(str("$fU"), "alice");
    EXPECT_EQ(str("$fd"), "atlanta.example.com");
    EXPECT_EQ(str("$fn"), "\"Alice A\"");
    EXPECT_EQ(str("$ft"), "ft1");
    EXPECT_EQ(str("$tu"), "sip:bob@biloxi.example.com");
    EXPECT_EQ(str("$tU"), "bob");
    EXPECT_EQ(str("$td"), "biloxi.example.com");
    EXPECT_EQ(str("$tn"), "Bob");
    EXPECT_TRUE(isNull("$tt")) << "no To tag on an initial request";
}

TEST_F(PvAccess, MessageAndTransport) {
    EXPECT_EQ(str("$rm"), "INVITE");
    EXPECT_TRUE(isNull("$rs"));
    EXPECT_TRUE(isNull("$rr"));
    EXPECT_EQ(str("$ci"), "call-1@192.0.2.1");
    EXPECT_EQ(str("$cs"), "42");
    EXPECT_EQ(str("$ua"), "tester/1.0");
    EXPECT_EQ(str("$ct"), "<sip:alice@192.0.2.1>");
    EXPECT_EQ(str("$rb"), "body");
    EXPECT_EQ(num("$ml"), static_cast<int64_t>(kInvite.size()));
    EXPECT_EQ(str("$si"), "192.0.2.1");
    EXPECT_EQ(num("$sp"), 5062);
    EXPECT_EQ(str("$pr"), "udp");
    EXPECT_TRUE(isNull("$Ri")) << "no listen socket in a unit test";
    EXPECT_GT(num("$pp"), 0);
    EXPECT_GT(num("$Ts"), 1700000000);
    EXPECT_TRUE(isNull("$null"));
}

TEST_F(PvAccess, DigestCredentialsComeFromProxyAuthorizationForInvite) {
    EXPECT_EQ(str("$au"), "alice");
    EXPECT_EQ(str("$aU"), "alice@atlanta.example.com");
    EXPECT_EQ(str("$ar"), "atlanta");
}

TEST_F(PvAccess, HeadersByNameAndCompactForm) {
    EXPECT_EQ(str("$hdr(X-Custom)"), "custom value");
    EXPECT_EQ(str("$hdr(x-custom)"), "custom value");
    EXPECT_EQ(str("$hdr(To)"), "Bob <sip:bob@biloxi.example.com>");
    EXPECT_EQ(str("$hdr(f)"), "\"Alice A\" <sip:alice@atlanta.example.com>;tag=ft1");
    EXPECT_TRUE(isNull("$hdr(X-Absent)"));
}

TEST_F(PvAccess, DstUri) {
    EXPECT_TRUE(isNull("$du"));
    EXPECT_TRUE(isNull("$dd"));
    ASSERT_TRUE(sets("$du", "sip:10.0.0.7:5090;transport=tcp"));
    EXPECT_EQ(str("$du"), "sip:10.0.0.7:5090;transport=tcp");
    EXPECT_EQ(str("$dd"), "10.0.0.7");
    EXPECT_EQ(num("$dp"), 5090);
    EXPECT_FALSE(sets("$du", "not a uri"));
    EXPECT_EQ(str("$du"), "sip:10.0.0.7:5090;transport=tcp") << "a bad value changes nothing";
    ASSERT_TRUE(pvUnset(mc, pvLookup("$du").spec));
    EXPECT_TRUE(isNull("$du"));
    ASSERT_TRUE(sets("$du", "sip:10.0.0.8"));
    EXPECT_EQ(num("$dp"), 5060);
}

TEST_F(PvAccess, RequestUriRewrites) {
    ASSERT_TRUE(sets("$rU", "carol"));
    EXPECT_EQ(str("$ru"), "sip:carol@example.com:5070;transport=udp");
    ASSERT_TRUE(sets("$rd", "[2001:db8::1]"));
    EXPECT_EQ(str("$ru"), "sip:carol@[2001:db8::1]:5070;transport=udp");
    ASSERT_TRUE(pvSetInt(mc, pvLookup("$rp").spec, 5080));
    EXPECT_EQ(str("$ru"), "sip:carol@[2001:db8::1]:5080;transport=udp");
    EXPECT_EQ(num("$rp"), 5080);
    ASSERT_TRUE(pvUnset(mc, pvLookup("$rp").spec));
    EXPECT_EQ(str("$ru"), "sip:carol@[2001:db8::1];transport=udp");
    EXPECT_EQ(num("$rp"), 5060);
    ASSERT_TRUE(pvUnset(mc, pvLookup("$rU").spec));
    EXPECT_EQ(str("$ru"), "sip:[2001:db8::1];transport=udp");
    EXPECT_TRUE(isNull("$rU"));
    ASSERT_TRUE(sets("$rU", "dave"));
    EXPECT_EQ(str("$ru"), "sip:dave@[2001:db8::1];transport=udp");
    ASSERT_TRUE(sets("$ru", "sips:erin@example.org"));
    EXPECT_EQ(str("$rz"), "sips");
    EXPECT_EQ(num("$rp"), 5061);
    EXPECT_FALSE(sets("$ru", "garbage"));
    EXPECT_FALSE(sets("$rd", "bad host!"));
    EXPECT_FALSE(pvSetInt(mc, pvLookup("$rp").spec, 70000));
    EXPECT_EQ(str("$ru"), "sips:erin@example.org");
    EXPECT_EQ(str("$rU"), "erin");
}

TEST_F(PvAccess, ReadOnlyPvsRefuseWrites) {
    EXPECT_FALSE(sets("$fU", "x"));
    EXPECT_FALSE(sets("$si", "1.2.3.4"));
    EXPECT_FALSE(pvUnset(mc, pvLookup("$ru").spec));
}

TEST_F(PvAccess, VarsSurviveTheMessage) {
    ASSERT_TRUE(sets("$var(seen)", "first"));
    EXPECT_EQ(str("$var(seen)"), "first");
    mc.reset();
    ASSERT_TRUE(sip::parseMsg(mc.msg, kInvite));
    EXPECT_EQ(str("$var(seen)"), "first");
    ASSERT_TRUE(pvUnset(mc, pvLookup("$var(seen)").spec));
    EXPECT_EQ(num("$var(seen)"), 0);
}

TEST_F(PvAccess, NoSystemAllocationsToParseCacheGetOrSet) {
    constexpr std::string_view kNames[] = {"$ru",       "$rU",
                                           "$rd",       "$rp",
                                           "$rz",       "$du",
                                           "$dd",       "$dp",
                                           "$tu",       "$tU",
                                           "$td",       "$tn",
                                           "$tt",       "$fu",
                                           "$fU",       "$fd",
                                           "$fn",       "$ft",
                                           "$au",       "$aU",
                                           "$ar",       "$rm",
                                           "$rs",       "$rr",
                                           "$ci",       "$cs",
                                           "$ua",       "$ct",
                                           "$rb",       "$ml",
                                           "$si",       "$sp",
                                           "$Ri",       "$Rp",
                                           "$pr",       "$hdr(X-Custom)",
                                           "$hdr(Via)", "$var(fresh_one)"};
    const long before = osprey::testsupport::systemAllocs();
    int64_t sink = 0;
    for (int round = 0; round < 2; ++round) {  // first round parses and caches, second hits
        for (std::string_view n : kNames) {
            PvLookup r = pvLookup(n);
            ASSERT_EQ(r.error, PvNameError::Ok) << n;
            sink += static_cast<int64_t>(pvGet(mc, r.spec).index());
        }
        ASSERT_TRUE(sets("$var(fresh_one)", "some text that is long enough to need a block"));
        ASSERT_TRUE(sets("$rU", "carol"));
        ASSERT_TRUE(sets("$du", "sip:10.0.0.1"));
    }
    EXPECT_EQ(osprey::testsupport::systemAllocs() - before, 0) << sink;
}

TEST(PvAccessReply, StatusReasonAndMethodOfAReply) {
    if (!mem::pkgReady()) mem::pkgInit(4u << 20);
    route::MsgContext mc;
    ASSERT_TRUE(sip::parseMsg(mc.msg,
                              "SIP/2.0 486 Busy Here\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                              "From: <sip:a@example.com>;tag=f\r\n"
                              "To: <sip:b@example.com>;tag=t9\r\nCall-ID: c\r\n"
                              "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"));
    auto get = [&](std::string_view n) { return pvGet(mc, pvLookup(n).spec); };
    EXPECT_EQ(std::get<int64_t>(get("$rs")), 486);
    EXPECT_EQ(std::get<std::string_view>(get("$rr")), "Busy Here");
    EXPECT_EQ(std::get<std::string_view>(get("$rm")), "INVITE");
    EXPECT_EQ(std::get<std::string_view>(get("$tt")), "t9");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(get("$ru")));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(get("$rU")));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(get("$au")));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(get("$rb")));
    EXPECT_FALSE(pvSetStr(mc, pvLookup("$ru").spec, "sip:x@y"));
}

}  // namespace
}  // namespace osprey::pv
