// The TCP limits' pieces on a real shm segment: the write-queue budget's arithmetic
// (core/net/tcp_wq_budget.h), which queue is cut to make room (tcp_wq_cut.h: the longest
// stalled, within the peer IP for the per-IP budget, never one without a queue or one its
// owner has not found blocked), the bytes
// given back by flush and release, and the send-progress rule (tcp_send_progress.h).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "core/net/sock_addr.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_send_progress.h"
#include "core/net/tcp_stats.h"
#include "core/net/tcp_wq_budget.h"
#include "core/net/tcp_wq_cut.h"
#include "mem/shm.h"

namespace osprey::net {
namespace {

SockAddr addr(const char* ip, uint16_t port) {
    SockAddr a;
    EXPECT_TRUE(parseIp(ip, port, a)) << ip;
    return a;
}

constexpr size_t kMsg = 1000;
constexpr size_t kCharge = WriteQueue::chargeFor(kMsg);

class Budget : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(mem::shmInit(8u << 20));
        ASSERT_TRUE(TcpConnTable::create(8, 2));
        ASSERT_TRUE(createTcpStats());
        t = TcpConnTable::get();
    }
    void TearDown() override {
        TcpConnTable::destroy();
        WqBudget::destroy();
        destroyTcpStats();
        mem::shmDestroy();
    }
    void budget(size_t total, size_t perIp) {
        ASSERT_TRUE(WqBudget::create(total, perIp, 16));
        b = WqBudget::get();
    }
    // Queues one message as tcpSend does: budget first, then the chunk. blocked: the owner
    // found the peer's socket full (a non-reader); false: the queue waits for its owner.
    void queue(TcpConn* c, int64_t now, bool blocked = true) {
        std::string text(kMsg, 'x');
        iovec iov{text.data(), text.size()};
        mem::LockGuard g(c->lock);
        ASSERT_EQ(takeQueueRoom(*t, *c, kCharge), QueueRoom::Ok);
        ASSERT_TRUE(c->queue.append(&iov, 1, 0, now));
        if (blocked) c->queue.blocked = true;
    }
    TcpConnTable* t = nullptr;
    WqBudget* b = nullptr;
};

TEST_F(Budget, TakeNeverPassesALimit) {
    budget(3000, 2000);
    EXPECT_EQ(b->take(1, 1500), WqBudget::Take::Ok);
    EXPECT_EQ(b->take(1, 600), WqBudget::Take::OverIp) << "1500 + 600 > 2000 for one address";
    EXPECT_EQ(b->take(2, 1500), WqBudget::Take::Ok);
    EXPECT_EQ(b->take(3, 1), WqBudget::Take::OverTotal);
    EXPECT_EQ(b->used(), 3000u) << "a refused take leaves nothing behind";
    EXPECT_EQ(b->usedByIp(1), 1500u);
    b->give(1, 1500);
    EXPECT_EQ(b->take(3, 1000), WqBudget::Take::Ok);
    EXPECT_EQ(b->used(), 2500u);
}

TEST_F(Budget, CutsTheLongestStalledQueueNotTheSender) {
    budget(3 * kCharge, 100 * kCharge);
    TcpConn* old = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    TcpConn* young = t->alloc(addr("192.0.2.2", 1), 0, 1, ConnState::Open, false);
    TcpConn* sender = t->alloc(addr("192.0.2.3", 1), 0, 1, ConnState::Open, false);
    queue(old, 100);
    queue(old, 100);
    queue(young, 200);
    EXPECT_EQ(b->used(), 3 * kCharge);
    queue(sender, 300);  // no room: the oldest queue goes
    EXPECT_EQ(old->closeRequested.load(), 1);
    EXPECT_TRUE(old->queue.empty());
    EXPECT_EQ(young->closeRequested.load(), 0);
    EXPECT_FALSE(young->queue.empty());
    EXPECT_EQ(sender->closeRequested.load(), 0);
    EXPECT_EQ(b->used(), 2 * kCharge) << "the cut queue's bytes came back";
    EXPECT_EQ(tcpStats()->wqCut.load(), 1u);
    // release gives back what a queue still holds.
    t->release(young);
    EXPECT_EQ(b->used(), kCharge);
}

TEST_F(Budget, AQueueThatOnlyWaitsForItsOwnerIsNotCut) {
    budget(3 * kCharge, 100 * kCharge);
    // A reader's reply, queued by another process and not yet written by its busy owner: the
    // oldest queue, but nothing says its peer stopped reading.
    TcpConn* waiting = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    TcpConn* stalled = t->alloc(addr("192.0.2.2", 1), 0, 1, ConnState::Open, false);
    TcpConn* sender = t->alloc(addr("192.0.2.3", 1), 0, 1, ConnState::Open, false);
    queue(waiting, 100, false);
    queue(stalled, 200);
    queue(stalled, 200);
    queue(sender, 300);
    EXPECT_EQ(waiting->closeRequested.load(), 0);
    EXPECT_FALSE(waiting->queue.empty());
    EXPECT_EQ(stalled->closeRequested.load(), 1);
    // Its owner writes part of it and finds the socket full: from then on it can be cut.
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    const int small = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    {
        mem::LockGuard g(waiting->lock);
        int err = 0;
        std::string fill(1 << 20, 'f');
        while (send(sv[0], fill.data(), fill.size(), MSG_DONTWAIT) > 0) {
        }
        const size_t before = waiting->queue.charged;
        EXPECT_EQ(waiting->queue.flush(sv[0], 400, &err), FlushResult::Blocked);
        giveQueueBytes(waiting->ipHash, before - waiting->queue.charged);
        EXPECT_TRUE(waiting->queue.blocked);
    }
    queue(sender, 500);
    queue(sender, 500);
    EXPECT_EQ(waiting->closeRequested.load(), 1);
    close(sv[0]);
    close(sv[1]);
}

TEST_F(Budget, AQueueWaitingForAnOutgoingConnectCanBeCut) {
    budget(2 * kCharge, 100 * kCharge);
    TcpConn* connecting = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Connecting, true);
    TcpConn* sender = t->alloc(addr("192.0.2.2", 1), 0, 1, ConnState::Open, false);
    queue(connecting, 100, false);
    queue(connecting, 100, false);
    queue(sender, 200);
    EXPECT_EQ(connecting->closeRequested.load(), 1);
    EXPECT_EQ(sender->closeRequested.load(), 0);
}

TEST_F(Budget, PerIpBudgetCutsWithinThatAddress) {
    budget(100 * kCharge, 2 * kCharge);
    TcpConn* a1 = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    // An address that does not share 192.0.2.1's per-IP count (16 slots here).
    TcpConn* otherIp = nullptr;
    for (int k = 2; otherIp == nullptr && k < 250; ++k) {
        const std::string ip = "192.0.2." + std::to_string(k);
        otherIp = t->alloc(addr(ip.c_str(), 1), 0, 0, ConnState::Open, false);
        if (b->sameIpSlot(otherIp->ipHash, a1->ipHash)) {
            t->release(otherIp);
            otherIp = nullptr;
        }
    }
    ASSERT_NE(otherIp, nullptr);
    TcpConn* a2 = t->alloc(addr("192.0.2.1", 2), 0, 1, ConnState::Open, false);
    queue(otherIp, 10);  // older than anything of 192.0.2.1, but another address
    queue(a1, 20);
    queue(a2, 30);
    queue(a2, 40);  // 192.0.2.1 is over its 2 messages: a1 (its oldest) goes
    EXPECT_EQ(otherIp->closeRequested.load(), 0);
    EXPECT_EQ(a1->closeRequested.load(), 1);
    EXPECT_EQ(a2->closeRequested.load(), 0);
    EXPECT_EQ(tcpStats()->wqIpCut.load(), 1u);
    EXPECT_EQ(b->usedByIp(a2->ipHash), 2 * kCharge);
}

TEST_F(Budget, TheSenderIsCutWhenItsQueueIsTheOldest) {
    budget(2 * kCharge, 100 * kCharge);
    TcpConn* slow = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    TcpConn* other = t->alloc(addr("192.0.2.2", 1), 0, 0, ConnState::Open, false);
    queue(slow, 10);
    queue(other, 20);
    mem::LockGuard g(slow->lock);
    EXPECT_EQ(takeQueueRoom(*t, *slow, kCharge), QueueRoom::SelfCut);
    EXPECT_EQ(slow->closeRequested.load(), 1);
    EXPECT_TRUE(slow->queue.empty());
    EXPECT_EQ(b->used(), kCharge);
}

TEST_F(Budget, NothingToCutRefusesTheSendOnly) {
    budget(65536, 65536);
    TcpConn* c = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    mem::LockGuard g(c->lock);
    EXPECT_EQ(takeQueueRoom(*t, *c, 100000), QueueRoom::NoRoom);
    EXPECT_EQ(c->closeRequested.load(), 0);
    EXPECT_EQ(tcpStats()->wqRefused.load(), 1u);
}

TEST_F(Budget, FlushGivesBackWhatWasWritten) {
    budget(100 * kCharge, 100 * kCharge);
    TcpConn* c = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    queue(c, 1);
    queue(c, 1);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int err = 0;
    {
        mem::LockGuard g(c->lock);
        const size_t before = c->queue.charged;
        EXPECT_EQ(c->queue.flush(sv[0], 2, &err), FlushResult::Empty);
        giveQueueBytes(c->ipHash, before - c->queue.charged);
    }
    EXPECT_EQ(c->queue.charged, 0u);
    EXPECT_FALSE(c->queue.blocked) << "an emptied queue is not blocked";
    EXPECT_EQ(b->used(), 0u);
    close(sv[0]);
    close(sv[1]);
}

TEST_F(Budget, CountersUnderKamailiosNames) {
    budget(100 * kCharge, 100 * kCharge);
    countTcp(&TcpStats::conTimeout);
    countTcp(&TcpStats::sendqFull);
    countTcp(&TcpStats::sendqFull);
    TcpConn* c = t->alloc(addr("192.0.2.1", 1), 0, 0, ConnState::Open, false);
    queue(c, 1);
    TcpStatValue v[kTcpStatCount];
    ASSERT_EQ(readTcpStats(v, kTcpStatCount), kTcpStatCount);
    std::map<std::string, uint64_t> byName;
    for (const TcpStatValue& s : v) byName[s.name] = s.value;
    EXPECT_EQ(byName.size(), kTcpStatCount) << "names are unique";
    EXPECT_EQ(byName["con_timeout"], 1u);
    EXPECT_EQ(byName["sendq_full"], 2u);
    EXPECT_EQ(byName["current_opened_connections"], 1u);
    EXPECT_EQ(byName["current_write_queue_size"], kCharge);
    for (const char* name : {"established", "passive_open", "connect_success", "connect_failed",
                             "local_reject", "con_reset", "send_timeout"})
        EXPECT_EQ(byName.count(name), 1u) << name;
    EXPECT_EQ(readTcpStats(v, 3), 3u) << "no more than asked";
}

// --- the send-progress rule -----------------------------------------------------------------

KernelSendState kernel(uint32_t unsent, uint64_t acked) {
    KernelSendState k;
    k.ok = true;
    k.unsent = unsent;
    k.acked = acked;
    return k;
}

TEST(SendProgress, EmptiedOrEnoughAcknowledgedIsProgress) {
    SendProgress p;
    p.reset(0);
    EXPECT_FALSE(p.mustCheck(false, -1)) << "nothing written since the start";
    EXPECT_TRUE(p.mustCheck(false, 0));
    // Unsent data whose peer takes 5000 octets per second: never cut.
    uint64_t acked = 0;
    for (int64_t now = 100; now <= 20000; now += 100) {
        acked += 500;
        ASSERT_FALSE(p.check(now, true, kernel(100000, acked), 4096, 1000)) << now;
    }
    // Everything delivered at each look: never cut, however little it was.
    for (int64_t now = 20100; now <= 40000; now += 100)
        ASSERT_FALSE(p.check(now, false, kernel(0, acked), 4096, 1000));
}

TEST(SendProgress, ATrickleOrNothingIsCutAfterTheTimeout) {
    SendProgress p;
    p.reset(0);
    uint64_t acked = 10000;
    int64_t cutAt = 0;
    for (int64_t now = 100; now <= 5000 && cutAt == 0; now += 100) {
        acked += 30;  // 300 octets per second
        if (p.check(now, false, kernel(50000, acked), 4096, 1000)) cutAt = now;
    }
    EXPECT_GT(cutAt, 1000);
    EXPECT_LE(cutAt, 2500);
    SendProgress q;
    q.reset(0);
    EXPECT_FALSE(q.check(500, false, kernel(10, 0), 4096, 1000));
    EXPECT_TRUE(q.check(1100, false, kernel(10, 0), 4096, 1000)) << "stuck in the kernel";
}

TEST(SendProgress, IdleTimeDoesNotCountAgainstTheNextSend) {
    SendProgress p;
    p.reset(0);
    for (int64_t now = 100; now < 60000; now += 100) p.stillIdle(now);
    // Data appears after a minute of silence: its clock starts now.
    EXPECT_FALSE(p.check(60000, true, kernel(5000, 0), 4096, 1000));
    EXPECT_FALSE(p.check(60900, true, kernel(5000, 0), 4096, 1000));
    EXPECT_TRUE(p.check(61100, true, kernel(5000, 0), 4096, 1000));
}

TEST(SendProgress, TheKernelIsAskedAtMostEveryQuarterTimeout) {
    EXPECT_EQ(SendProgress::checkInterval(10000), 1000);
    EXPECT_EQ(SendProgress::checkInterval(2000), 500);
    EXPECT_EQ(SendProgress::checkInterval(200), 100);
    SendProgress p;
    p.reset(0);
    EXPECT_FALSE(p.checkedRecently(0, 1000)) << "a new connection may be asked at once";
    p.check(50, true, kernel(100, 0), 4096, 10000);
    EXPECT_TRUE(p.checkedRecently(500, 1000));
    EXPECT_FALSE(p.checkedRecently(1050, 1000));
}

TEST(SendProgress, KernelStateOfARealSocket) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    // Not TCP: TCP_INFO fails, and the caller falls back to the age of its own queue.
    EXPECT_FALSE(kernelSendState(sv[0]).ok);
    close(sv[0]);
    close(sv[1]);
}

}  // namespace
}  // namespace osprey::net
