// Digest credentials parsing beyond the basics of sip_header_values_test: repeated
// directives, quoted-pairs, hostile sizes, several credentials in one request.
#include <gtest/gtest.h>

#include <string>

#include "core/sip/digest.h"
#include "test/unit/sip_test_msg.h"

namespace osprey::sip {
namespace {

using test::oneHeader;

TEST(SipDigest, RepeatedDirectiveIsAnError) {
    auto o = oneHeader(
        "Authorization: Digest username=\"a\", realm=\"r\", response=\"1\", response=\"2\"");
    ASSERT_NE(o->h, nullptr);
    EXPECT_EQ(parseAuth(o->msg, *o->h), nullptr);
    EXPECT_EQ(o->msg.error.code, ParseErrc::BadParam);
    EXPECT_NE(std::string(o->msg.errorText()).find("twice"), std::string::npos)
        << o->msg.errorText();
    // Case differs, still the same directive; an empty value counts as given.
    auto e = oneHeader("Authorization: Digest realm=\"\", REALM=\"x\"");
    EXPECT_EQ(parseAuth(e->msg, *e->h), nullptr);
    // Unknown auth-params may repeat.
    auto u = oneHeader("Authorization: Digest username=\"a\", x=1, x=2");
    const AuthBody* b = parseAuth(u->msg, *u->h);
    ASSERT_NE(b, nullptr) << u->msg.errorText();
    EXPECT_EQ(b->username, "a");
}

TEST(SipDigest, QuotedPairsStayEscapedAndMarksStartClear) {
    auto o = oneHeader(R"(Proxy-Authorization: Digest username="a\"b", realm="x\\y", nc=00000001)");
    const AuthBody* b = parseAuth(o->msg, *o->h);
    ASSERT_NE(b, nullptr) << o->msg.errorText();
    EXPECT_EQ(b->username, R"(a\"b)");
    EXPECT_EQ(b->realm, R"(x\\y)");
    EXPECT_FALSE(b->authorized);
    EXPECT_FALSE(b->staleNonce);
}

TEST(SipDigest, HugeValuesParseAsViews) {
    const std::string big(20000, 'u');
    auto o = oneHeader("Authorization: Digest username=\"" + big + "\", realm=\"r\"");
    const AuthBody* b = parseAuth(o->msg, *o->h);
    ASSERT_NE(b, nullptr) << o->msg.errorText();
    EXPECT_EQ(b->username.size(), big.size());
}

// RFC 3261 §25.1: credentials = "Digest" LWS dig-resp *(COMMA dig-resp), each dig-resp a
// name EQUAL (token / quoted-string). None of these is that, so each is refused with an error.
TEST(SipDigest, MalformedVariantsAreRefused) {
    for (const char* line : {
             "Authorization: Digest",                             // no dig-resp at all
             "Authorization: Digest ,",                           // empty dig-resp
             "Authorization: Digest username=\"a\",",             // COMMA without a dig-resp
             "Authorization: Digest username=\"a\" realm=\"b\"",  // no COMMA between two
             "Authorization: Digest username=a\"b",               // a quote inside a token
             "Authorization: Digest =\"a\"",                      // no name
             "Authorization: Digest username==\"a\"",             // '=' is no token character
             "Authorization: Digest username=\"a\\\"",            // quoted-string never closed
         }) {
        auto o = oneHeader(line);
        ASSERT_NE(o->h, nullptr) << line;
        EXPECT_EQ(parseAuth(o->msg, *o->h), nullptr) << line;
        EXPECT_TRUE(static_cast<bool>(o->msg.error)) << line;
    }
}

}  // namespace
}  // namespace osprey::sip
