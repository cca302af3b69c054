// Write-through bookkeeping without a router: the change ring numbers changes in queue order
// and drain reports the last one taken; a table save reports the number that covers its change
// (also when nothing changed); CommitWait gives each waiter the verdict of the batch holding its
// change (a failed batch is never reported as committed, a later failure is reported
// conservatively), wakes a waiter sleeping in another thread, times out when nothing is
// published and notices a writer that is gone; Reply records survive the ring intact.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "mem/shm.h"
#include "modules/usrloc/change_ring.h"
#include "modules/usrloc/commit_wait.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {
namespace {

class UsrlocCommit : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(16u << 20));
        }
    }
    void SetUp() override {
        ring = ChangeRing::create(1 << 16, -1, true);
        ASSERT_NE(ring, nullptr);
    }
    void TearDown() override { ChangeRing::destroy(ring); }

    ContactData binding(const char* uri, uint32_t cseq) {
        ContactData c;
        c.uri = uri;
        c.callId = "cid";
        c.cseq = cseq;
        c.expires = time(nullptr) + 60;
        return c;
    }

    ChangeRing* ring = nullptr;
};

TEST_F(UsrlocCommit, ChangesAreNumberedInQueueOrder) {
    EXPECT_EQ(ring->lastSeq(), 0u);
    ASSERT_TRUE(ring->pushUpsert(0, "a", binding("sip:a@h", 1)));
    ASSERT_TRUE(ring->pushDelete(0, "a", "sip:a@h"));
    EXPECT_EQ(ring->lastSeq(), 2u);
    std::vector<char> buf;
    uint64_t through = 0;
    EXPECT_EQ(ring->drain(buf, &through), 2u);
    EXPECT_EQ(through, 2u);
    EXPECT_EQ(ring->drainedThrough(), 2u);
    ASSERT_TRUE(ring->pushUpsert(0, "b", binding("sip:b@h", 1)));
    EXPECT_EQ(ring->lastSeq(), 3u);
    EXPECT_EQ(ring->drainedThrough(), 2u) << "not drained yet";
}

TEST_F(UsrlocCommit, SaveReportsTheNumberCoveringItsChangeEvenWhenNothingChanged) {
    Table* t = createTable("location", 4, 0);
    ASSERT_NE(t, nullptr);
    setChangeRing(t, ring);
    const ContactData c = binding("sip:x@h", 5);
    Durability d;
    ASSERT_EQ(tableSave(t, "x", {&c, 1}, false, 0, true, time(nullptr), nullptr, nullptr, &d),
              SaveStatus::Ok);
    EXPECT_EQ(d.seq, 1u);
    EXPECT_FALSE(d.lost);
    // Someone else's change, then a retransmission of the first (same CSeq: no change): it must
    // still wait for everything queued so far, the original's change included.
    const ContactData other = binding("sip:y@h", 1);
    ASSERT_EQ(tableSave(t, "y", {&other, 1}, false, 0, true, time(nullptr), nullptr, nullptr),
              SaveStatus::Ok);
    Durability again;
    ASSERT_EQ(tableSave(t, "x", {&c, 1}, false, 0, true, time(nullptr), nullptr, nullptr, &again),
              SaveStatus::Ok);
    EXPECT_EQ(again.seq, 2u);
    // Memory only (save flag 0x01): nothing to wait for.
    Durability none;
    ASSERT_EQ(
        tableSave(t, "z", {&other, 1}, false, 0, false, time(nullptr), nullptr, nullptr, &none),
        SaveStatus::Ok);
    EXPECT_EQ(none.seq, 0u);
    destroyTable(t);
}

TEST_F(UsrlocCommit, VerdictIsTheBatchOutcomeAndAFailureIsNeverACommit) {
    CommitWait& w = ring->commits();
    w.publish(3, true);  // changes 1..3 committed
    EXPECT_EQ(w.wait(2, 1000), CommitResult::Committed);
    w.publish(5, false);  // 4..5 lost
    EXPECT_EQ(w.wait(4, 1000), CommitResult::Failed);
    EXPECT_EQ(w.wait(5, 1000), CommitResult::Failed);
    w.publish(9, true);  // a later commit does not turn 4..5 into commits
    EXPECT_EQ(w.wait(4, 1000), CommitResult::Failed);
    EXPECT_EQ(w.wait(6, 1000), CommitResult::Committed);
    EXPECT_EQ(w.wait(2, 1000), CommitResult::Failed) << "conservative after a later failure";
}

TEST_F(UsrlocCommit, NothingPublishedTimesOut) {
    EXPECT_EQ(ring->commits().wait(1, 120), CommitResult::TimedOut);
}

// The state letter of one of our threads ('S' while it sleeps in FUTEX_WAIT).
char threadState(pid_t tid) {
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), {});
    const size_t close = s.rfind(')');
    return close == std::string::npos || close + 2 >= s.size() ? 0 : s[close + 2];
}

TEST_F(UsrlocCommit, ASleepingWaiterIsWokenByThePublish) {
    CommitWait& w = ring->commits();
    std::atomic<pid_t> tid{0};
    CommitResult got = CommitResult::TimedOut;
    std::thread waiter([&] {
        tid = static_cast<pid_t>(syscall(SYS_gettid));
        got = w.wait(7, 10000);
    });
    // Publish once the waiter sleeps (bounded look at its state).
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < end && (tid == 0 || threadState(tid) != 'S'))
        std::this_thread::yield();
    w.publish(6, true);  // not yet its change
    w.publish(7, true);
    waiter.join();
    EXPECT_EQ(got, CommitResult::Committed);
}

TEST_F(UsrlocCommit, AWriterThatIsGoneIsNoticed) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);  // reaped: the pid no longer exists
    CommitWait& w = ring->commits();
    w.setWriterPid(child);
    EXPECT_EQ(w.wait(1, 5000), CommitResult::WriterGone) << "noticed before the bound";
}

TEST_F(UsrlocCommit, RecoveryReportsWhatADeadWriterTookAsFailed) {
    ASSERT_TRUE(ring->pushUpsert(0, "a", binding("sip:a@h", 1)));
    std::vector<char> buf;
    ring->drain(buf);  // the writer took it, then died before publishing
    ring->commits().recoverAfterWriterDeath(ring->drainedThrough());
    EXPECT_EQ(ring->commits().wait(1, 1000), CommitResult::Failed);
}

TEST_F(UsrlocCommit, ReplyRecordsSurviveTheRing) {
    const PendingReply r{42, 1, std::string_view("\x02\x00\x13\xc4", 4), "SIP/2.0 200 OK\r\n",
                         "SIP/2.0 500 Server Internal Error\r\n"};
    ASSERT_TRUE(ring->pushReply("alice", r));
    std::string big(9000, 'x');  // larger than a record may be: refused, the caller waits
    EXPECT_FALSE(ring->pushReply("alice", PendingReply{1, 0, {}, big, "x"}));
    std::vector<char> buf;
    ASSERT_EQ(ring->drain(buf), 1u);
    std::string_view in(buf.data(), buf.size());
    Change ch;
    ASSERT_TRUE(ChangeRing::next(in, ch));
    EXPECT_EQ(ch.op, ChangeOp::Reply);
    EXPECT_EQ(ch.aor, "alice");
    EXPECT_EQ(ch.reply.target, 42u);
    EXPECT_EQ(ch.reply.socket, 1);
    EXPECT_EQ(ch.reply.address, r.address);
    EXPECT_EQ(ch.reply.ok, r.ok);
    EXPECT_EQ(ch.reply.failed, r.failed);
}

}  // namespace
}  // namespace osprey::usrloc
