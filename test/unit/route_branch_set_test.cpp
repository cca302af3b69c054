// The per-message branch set: texts copied (callers may pass temporaries), order kept, a fixed
// capacity, bad q refused, and nothing left over for the next message.
#include <gtest/gtest.h>

#include <string>

#include "core/route/msg_context.h"
#include "mem/pkg.h"

namespace osprey::route {
namespace {

class RouteBranchSet : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
    }
    void SetUp() override {
        ASSERT_TRUE(sip::parseMsg(mc.msg,
                                  "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                                  "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
                                  "From: <sip:a@example.com>;tag=f\r\n"
                                  "To: <sip:bob@example.com>\r\nCall-ID: c\r\n"
                                  "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
    }
    void TearDown() override { mc.reset(); }

    MsgContext mc;
};

TEST_F(RouteBranchSet, StartsEmpty) {
    EXPECT_TRUE(mc.branches().empty());
}

TEST_F(RouteBranchSet, CopiesTextsAndKeepsOrder) {
    {
        std::string uri = "sip:alice@192.0.2.1:5070";
        std::string du = "sip:192.0.2.9";
        std::string path = "<sip:edge.example.com;lr>";
        ASSERT_TRUE(mc.appendBranch(uri, du, path, 700));
        uri.assign(uri.size(), 'x');  // the set must not see the caller's buffer
        du.assign(du.size(), 'x');
        path.assign(path.size(), 'x');
    }
    ASSERT_TRUE(mc.appendBranch("sip:alice@192.0.2.2"));
    auto b = mc.branches();
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].uri, "sip:alice@192.0.2.1:5070");
    EXPECT_EQ(b[0].dstUri, "sip:192.0.2.9");
    EXPECT_EQ(b[0].path, "<sip:edge.example.com;lr>");
    EXPECT_EQ(b[0].q, 700);
    EXPECT_EQ(b[1].uri, "sip:alice@192.0.2.2");
    EXPECT_TRUE(b[1].dstUri.empty());
    EXPECT_TRUE(b[1].path.empty());
    EXPECT_EQ(b[1].q, -1);
}

TEST_F(RouteBranchSet, FixedCapacity) {
    for (size_t i = 0; i < kMaxBranches; ++i) {
        ASSERT_TRUE(mc.appendBranch("sip:u@h" + std::to_string(i))) << i;
    }
    EXPECT_FALSE(mc.appendBranch("sip:one@too.many"));
    ASSERT_EQ(mc.branches().size(), kMaxBranches);
    EXPECT_EQ(mc.branches().back().uri, "sip:u@h" + std::to_string(kMaxBranches - 1));
}

TEST_F(RouteBranchSet, RefusesBadInput) {
    EXPECT_FALSE(mc.appendBranch(""));
    EXPECT_FALSE(mc.appendBranch("sip:a@b", {}, {}, 1001));
    EXPECT_FALSE(mc.appendBranch("sip:a@b", {}, {}, -2));
    EXPECT_TRUE(mc.appendBranch("sip:a@b", {}, {}, 0));
    EXPECT_TRUE(mc.appendBranch("sip:a@b", {}, {}, 1000));
    EXPECT_EQ(mc.branches().size(), 2u);
}

TEST_F(RouteBranchSet, ClearedExplicitlyAndPerMessage) {
    ASSERT_TRUE(mc.appendBranch("sip:a@b"));
    mc.clearBranches();
    EXPECT_TRUE(mc.branches().empty());
    ASSERT_TRUE(mc.appendBranch("sip:a@b"));
    mc.reset();
    EXPECT_TRUE(mc.branches().empty());
}

}  // namespace
}  // namespace osprey::route
