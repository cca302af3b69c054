// tm's shm budget (modules/tm/budget.h): the limit from the segment size and max_shm_percent,
// the admission rule at the limits' edges, and the shared counts following the bytes and
// transactions tm allocates and frees (cell_mem.cpp) on a real shm segment.
#include <gtest/gtest.h>

#include <string>

#include "core/sip/msg.h"
#include "core/stats/read.h"
#include "core/stats/registry.h"
#include "mem/shm.h"
#include "modules/tm/budget.h"
#include "modules/tm/cell_mem.h"
#include "modules/tm/stats.h"
#include "test/unit/sip_test_pkg.h"

namespace osprey::tm {
namespace {

TEST(TmBudgetArithmetic, BytesLimitIsTheShareOfTheSegment) {
    EXPECT_EQ(bytesLimit(size_t{64} << 20, 50), int64_t{32} << 20);
    EXPECT_EQ(bytesLimit(size_t{256} << 20, 25), int64_t{64} << 20);
    EXPECT_EQ(bytesLimit(1000, 1), 10);
    EXPECT_EQ(bytesLimit(199, 50), 99) << "rounded down, never past the share";
    EXPECT_EQ(bytesLimit(size_t{64} << 20, 100), 0) << "100 %: no budget of its own";
    // A segment whose size times the percentage would overflow 64 bits.
    const size_t huge = size_t{1} << 62;
    EXPECT_EQ(bytesLimit(huge, 99), static_cast<int64_t>(huge / 100 * 99 + huge % 100 * 99 / 100));
    EXPECT_GT(bytesLimit(huge, 99), 0);
}

TEST(TmBudgetArithmetic, AdmitsBelowEveryLimitOnly) {
    const BudgetLimits none;
    EXPECT_EQ(admit(none, int64_t{1} << 40, 1 << 30), Admit::Ok) << "no limits: always";

    BudgetLimits bytes;
    bytes.maxBytes = 10000;
    EXPECT_EQ(admit(bytes, 0, 0), Admit::Ok);
    EXPECT_EQ(admit(bytes, 9999, 500), Admit::Ok);
    EXPECT_EQ(admit(bytes, 10000, 1), Admit::OverBytes) << "the limit itself is full";
    EXPECT_EQ(admit(bytes, 20000, 1), Admit::OverBytes);

    BudgetLimits count;
    count.maxCount = 3;
    EXPECT_EQ(admit(count, int64_t{1} << 40, 2), Admit::Ok);
    EXPECT_EQ(admit(count, 0, 3), Admit::OverCount);

    BudgetLimits both;
    both.maxBytes = 100;
    both.maxCount = 2;
    EXPECT_EQ(admit(both, 50, 1), Admit::Ok);
    EXPECT_EQ(admit(both, 50, 2), Admit::OverCount);
    EXPECT_EQ(admit(both, 100, 1), Admit::OverBytes);
    EXPECT_EQ(admit(both, 100, 2), Admit::OverCount) << "either names a reason; count first";
}

class TmBudgetCounts : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(16u << 20));
        }
        ASSERT_TRUE(initStats());
        ASSERT_TRUE(stats::createTable(1));
    }
    void TearDown() override { destroyBudget(); }

    Cell* makeCell(const std::string& callId) {
        text_ =
            "OPTIONS sip:bob@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-" +
            callId +
            "\r\n"
            "From: <sip:alice@example.com>;tag=a\r\n"
            "To: <sip:bob@example.com>\r\n"
            "Call-ID: " +
            callId +
            "\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n";
        sip::SipMsg msg;
        if (!sip::parseMsg(msg, text_)) return nullptr;
        return newCell(msg, net::RecvInfo{});
    }

    std::string text_;
};

TEST_F(TmBudgetCounts, FollowEveryAllocationAndFree) {
    ASSERT_TRUE(createBudget(BudgetLimits{}));
    BudgetState* b = budget();
    ASSERT_NE(b, nullptr);
    const int64_t shmBefore = stats::value(counters().shmBytes);

    Cell* c = makeCell("one");
    ASSERT_NE(c, nullptr);
    const int64_t cellBytes = static_cast<int64_t>(sizeof(Cell) + text_.size());
    EXPECT_EQ(b->bytes.load(), cellBytes);
    EXPECT_EQ(b->count.load(), 1);
    Branch* br = newBranch(c, 300);
    ASSERT_NE(br, nullptr);
    c->branches[c->nBranches++] = br;
    ASSERT_TRUE(storeCopy(&c->uasReply, &c->uasReplyLen, std::string(400, 'r')));
    const int64_t all = cellBytes + static_cast<int64_t>(sizeof(Branch)) + 300 + 400;
    EXPECT_EQ(b->bytes.load(), all);
    EXPECT_EQ(stats::value(counters().shmBytes) - shmBefore, all)
        << "the budget counts what the shm_bytes statistic counts";

    unref(c);
    EXPECT_EQ(b->bytes.load(), 0) << "everything given back";
    EXPECT_EQ(b->count.load(), 0);
}

TEST_F(TmBudgetCounts, AdmitNewSeesTheLiveCounts) {
    EXPECT_EQ(admitNew(), Admit::Ok) << "no budget before init";
    BudgetLimits limits;
    limits.maxCount = 2;
    ASSERT_TRUE(createBudget(limits));
    Cell* a = makeCell("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(admitNew(), Admit::Ok);
    Cell* b = makeCell("b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(admitNew(), Admit::OverCount);
    unref(a);
    EXPECT_EQ(admitNew(), Admit::Ok) << "room again once one is freed";

    limits.maxCount = 0;
    limits.maxBytes = budget()->bytes.load();  // exactly what b holds: full
    budget()->limits = limits;
    EXPECT_EQ(admitNew(), Admit::OverBytes);
    unref(b);
    EXPECT_EQ(admitNew(), Admit::Ok);
}

TEST_F(TmBudgetCounts, ReleaseAfterFinalFreesWhatOnlyChoosingTheReplyNeeded) {
    ASSERT_TRUE(createBudget(BudgetLimits{}));
    BudgetState* b = budget();
    Cell* c = makeCell("forked");
    ASSERT_NE(c, nullptr);
    const int64_t cellBytes = b->bytes.load();
    for (int i = 0; i < 2; ++i) {
        Branch* br = newBranch(c, 200);
        ASSERT_NE(br, nullptr);
        br->index = static_cast<uint8_t>(i);
        c->branches[c->nBranches++] = br;
        ASSERT_TRUE(storeCopy(&br->reply, &br->replyLen, std::string(300, 'n')));
    }
    c->branches[0]->final = true;  // answered 486; branch 1 is still pending
    const int64_t before = b->bytes.load();
    EXPECT_EQ(before, cellBytes + 2 * (static_cast<int64_t>(sizeof(Branch)) + 200 + 300));

    releaseAfterFinal(c);
    EXPECT_EQ(c->branches[0]->reply, nullptr);
    EXPECT_EQ(c->branches[0]->replyLen, 0u);
    EXPECT_NE(c->branches[1]->reply, nullptr) << "a pending branch keeps what it has";
    EXPECT_EQ(b->bytes.load(), before - 300);
    releaseAfterFinal(c);  // idempotent
    EXPECT_EQ(b->bytes.load(), before - 300);

    unref(c);
    EXPECT_EQ(b->bytes.load(), 0);
}

}  // namespace
}  // namespace osprey::tm
