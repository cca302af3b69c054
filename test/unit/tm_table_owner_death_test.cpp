// The transaction table when a process dies holding a bucket lock (docs/locks.md): a worker
// killed half way through linking a new transaction (the test hook's tm_bucket die point: the
// old head already points back to the new cell, the head not yet moved) leaves a chain the
// next taker repairs before using it, and the half-created transaction is freed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/sip/msg.h"
#include "core/stats/read.h"
#include "core/stats/registry.h"
#include "mem/lock/test_die.h"
#include "mem/shm.h"
#include "modules/tm/cell_mem.h"
#include "modules/tm/stats.h"
#include "modules/tm/table.h"
#include "test/unit/sip_test_pkg.h"

namespace osprey::tm {
namespace {

class TmTableOwnerDeath : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(64u << 20));
        }
        ASSERT_TRUE(initStats());
        // One row in shm, shared with the forked child (it does not attach its own): the
        // parent sees the child's counts.
        ASSERT_TRUE(stats::createTable(1));
    }
    void SetUp() override {
        table_ = Table::create(1);  // one bucket: every transaction shares the chain
        ASSERT_NE(table_, nullptr);
    }
    void TearDown() override { Table::destroy(table_); }

    // A new transaction as newTransaction makes it: the creator's reference and the table's.
    Cell* newLinkedCell(const std::string& callId) {
        Cell* c = makeCell(callId);
        if (c == nullptr) return nullptr;
        ref(c);
        BucketGuard g = table_->lock(0);
        table_->link(c);
        return c;
    }
    Cell* makeCell(const std::string& callId) {
        bufs_.push_back(
            "INVITE sip:bob@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-" +
            callId +
            "\r\n"
            "From: <sip:alice@example.com>;tag=a\r\n"
            "To: <sip:bob@example.com>\r\n"
            "Call-ID: " +
            callId +
            "\r\n"
            "CSeq: 1 INVITE\r\n"
            "Content-Length: 0\r\n\r\n");
        sip::SipMsg msg;
        if (!sip::parseMsg(msg, bufs_.back())) return nullptr;
        Cell* c = newCell(msg, net::RecvInfo{});
        if (c != nullptr) c->bucket = 0;
        return c;
    }
    // Off the table, and both references dropped.
    void release(Cell* c) {
        {
            BucketGuard g = table_->lock(0);
            table_->unlink(c);
        }
        unref(c);
        unref(c);
    }

    Table* table_ = nullptr;
    std::vector<std::string> bufs_;
};

TEST_F(TmTableOwnerDeath, HalfLinkedTransactionIsDroppedAndTheChainRepaired) {
    Cell* a = newLinkedCell("a");
    Cell* b = newLinkedCell("b");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    const int64_t before = stats::value(counters().inuse);

    ASSERT_TRUE(mem::testDieConfigure("tm_bucket"));
    pid_t pid = fork();
    if (pid == 0) {
        mem::testDieAllowHere(true);
        (void)newLinkedCell("c");  // dies inside link, holding the bucket lock
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(mem::testDieConfigure(nullptr));
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_EQ(stats::value(counters().inuse), before + 1);  // the half-linked one exists
    EXPECT_NE(b->prev, nullptr);                            // and the old head points back to it

    {
        BucketGuard g = table_->lock(0);
        EXPECT_TRUE(g.ownerDied());
        EXPECT_EQ(g.deadOwner(), static_cast<uint32_t>(pid));
        Bucket& bucket = table_->bucket(0);
        EXPECT_EQ(bucket.head, b);
        EXPECT_EQ(b->prev, nullptr);
        EXPECT_EQ(b->next, a);
        EXPECT_EQ(a->prev, b);
        EXPECT_EQ(a->next, nullptr);
        EXPECT_EQ(bucket.pending, nullptr);
    }
    EXPECT_EQ(stats::value(counters().inuse), before);  // freed: nobody else held it
    release(b);
    release(a);
    BucketGuard g = table_->lock(0);
    EXPECT_FALSE(g.ownerDied());
    EXPECT_EQ(table_->bucket(0).head, nullptr);
}

}  // namespace
}  // namespace osprey::tm
