// Sanity check 512: Proxy-Require option tags against the proxy_require list (420 Bad
// Extension with every unsupported tag listed in Unsupported).
#include <array>

#include "test/unit/sanity_test_support.h"

namespace osprey::sanity::test {
namespace {

std::string unsupportedHeader(const Verdict& v) {
    char buf[256];
    return std::string(buf, formatUnsupported(v, buf, sizeof(buf)));
}

TEST(SanityProxyRequire, AnyTagIsUnsupportedWithAnEmptyList) {
    Req r;
    r.extra = "Proxy-Require: foo\r\n";
    auto c = run(r, kScriptChecks);
    EXPECT_TRUE(failsWith(*c, kProxyRequire, 420, "Bad Extension"));
    EXPECT_EQ(unsupportedHeader(c->v), "Unsupported: foo\r\n");
}

TEST(SanityProxyRequire, EveryUnsupportedTagIsListedOnce) {
    const std::array<std::string_view, 2> supported = {"sec-agree", "100rel"};
    Options opt;
    opt.proxyRequire = supported;
    Req r;
    r.extra = "Proxy-Require: foo, SEC-AGREE\r\nProxy-Require: bar;x=1, foo, 100rel\r\n";
    auto c = run(r, kProxyRequire, kScriptUris, opt);
    EXPECT_TRUE(failsWith(*c, kProxyRequire, 420, "Bad Extension"));
    EXPECT_EQ(c->v.unsupportedTotal, 2u);
    EXPECT_EQ(unsupportedHeader(c->v), "Unsupported: foo, bar\r\n");
}

TEST(SanityProxyRequire, SupportedTagsPass) {
    const std::array<std::string_view, 2> supported = {"foo", "bar"};
    Options opt;
    opt.proxyRequire = supported;
    Req r;
    r.extra = "Proxy-Require: Foo, bar\r\n";
    EXPECT_TRUE(run(r, kProxyRequire, kScriptUris, opt)->passed);
    r.extra.clear();
    EXPECT_TRUE(run(r, kProxyRequire)->passed);  // no header, nothing required
}

TEST(SanityProxyRequire, AMalformedHeaderIs400) {
    Req r;
    r.extra = "Proxy-Require: foo bar\r\n";
    EXPECT_TRUE(failsWith(*run(r, kProxyRequire), kProxyRequire, 400, "Bad Proxy Require Header"));
}

TEST(SanityProxyRequire, TheUnsupportedListIsBoundedAndFitsTheBuffer) {
    Req r;
    r.extra = "Proxy-Require: ";
    for (int i = 0; i < 40; ++i) r.extra += (i ? ", t" : "t") + std::to_string(i);
    r.extra += "\r\n";
    auto c = run(r, kProxyRequire);
    EXPECT_TRUE(failsWith(*c, kProxyRequire, 420, "Bad Extension"));
    EXPECT_EQ(c->v.unsupportedTotal, 40u);
    EXPECT_EQ(c->v.unsupportedCount, Verdict::kMaxUnsupported);
    char small[32];
    const size_t n = formatUnsupported(c->v, small, sizeof(small));
    EXPECT_EQ(std::string(small, n), "Unsupported: t0, t1, t2, t3\r\n");
    EXPECT_EQ(formatUnsupported(c->v, small, 10), 0u);
    Verdict none;
    EXPECT_EQ(formatUnsupported(none, small, sizeof(small)), 0u);
}

}  // namespace
}  // namespace osprey::sanity::test
