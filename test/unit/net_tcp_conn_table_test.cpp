// The TCP connection table and write queue (core/net/tcp_conn_table.h, tcp_write_queue.h) on a
// real shm segment: ids, lookups by id (with the expected peer) and address, stale ids after
// reuse, FIFO reuse, 32-bit generations and their wrap, capacity, owner spreading,
// find-or-create, queues written to real sockets, and a second process queueing for a
// connection the first one writes.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>

#include "core/net/sock_addr.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_write_queue.h"
#include "mem/shm.h"

namespace osprey::net {
namespace {

SockAddr addr(const char* ip, uint16_t port) {
    SockAddr a;
    EXPECT_TRUE(parseIp(ip, port, a)) << ip;
    return a;
}

class ConnTable : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(mem::shmInit(8u << 20));
        ASSERT_TRUE(TcpConnTable::create(8, 3));
        t = TcpConnTable::get();
    }
    void TearDown() override {
        TcpConnTable::destroy();
        mem::shmDestroy();
    }
    TcpConnTable* t = nullptr;
};

TEST_F(ConnTable, FindsByIdAndByExactAddress) {
    const SockAddr peer = addr("192.0.2.1", 40000);
    TcpConn* c = t->alloc(peer, 2, 1, ConnState::Open, false);
    ASSERT_NE(c, nullptr);
    const ConnId id = c->id.load();
    EXPECT_NE(id, 0u);
    {
        ConnRef ref = t->lockById(id);
        ASSERT_TRUE(ref);
        EXPECT_EQ(ref.conn, c);
        EXPECT_EQ(ref.conn->owner, 1);
        EXPECT_EQ(ref.conn->socket, 2);
        EXPECT_TRUE(c->lock.isLocked());
    }
    EXPECT_FALSE(c->lock.isLocked()) << "the guard unlocks";
    EXPECT_EQ(t->findByAddr(peer), id);
    EXPECT_EQ(t->findByAddr(addr("192.0.2.1", 40001)), 0u) << "another port is another peer";
    EXPECT_EQ(t->findByAddr(addr("192.0.2.2", 40000)), 0u);
    EXPECT_EQ(t->findByAddr(addr("::ffff:192.0.2.1", 40000)), id) << "IPv4-mapped is the same";
    EXPECT_FALSE(t->lockById(0));
    EXPECT_FALSE(t->lockById(id ^ (ConnId{1} << kConnSlotBits))) << "wrong generation";
}

TEST_F(ConnTable, ReleasedIdsGoStaleAndSlotsComeBack) {
    const SockAddr peer = addr("2001:db8::1", 5060);
    TcpConn* c = t->alloc(peer, 0, 0, ConnState::Open, false);
    ASSERT_NE(c, nullptr);
    const ConnId id = c->id.load();
    t->release(c);
    EXPECT_FALSE(t->lockById(id));
    EXPECT_EQ(t->findByAddr(peer), 0u);
    EXPECT_EQ(t->used(), 0u);
    // Reuse every slot: none of the new ids equals the old one.
    for (int i = 0; i < 8; ++i) {
        TcpConn* n = t->alloc(addr("2001:db8::1", static_cast<uint16_t>(6000 + i)), 0, 0,
                              ConnState::Open, false);
        ASSERT_NE(n, nullptr);
        EXPECT_NE(n->id.load(), id);
    }
    EXPECT_EQ(t->alloc(peer, 0, 0, ConnState::Open, false), nullptr) << "capacity is 8";
    EXPECT_EQ(t->used(), 8u);
}

// Freed slots wait at the back of the free list: one connection coming and going walks every
// slot before it takes the first one again (with the next generation).
TEST_F(ConnTable, FreedSlotsAreReusedFirstInFirstOut) {
    const SockAddr peer = addr("192.0.2.10", 5060);
    ConnId first = 0;
    for (uint32_t i = 0; i < 8; ++i) {
        TcpConn* c = t->alloc(peer, 0, 0, ConnState::Open, false);
        ASSERT_NE(c, nullptr);
        const ConnId id = c->id.load();
        EXPECT_EQ(connSlot(id), i) << "the slot freed last is not reused first";
        EXPECT_EQ(connGeneration(id), 1u);
        if (i == 0) first = id;
        t->release(c);
    }
    TcpConn* again = t->alloc(peer, 0, 0, ConnState::Open, false);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(connSlot(again->id.load()), connSlot(first));
    EXPECT_EQ(connGeneration(again->id.load()), 2u);
    EXPECT_FALSE(t->lockById(first)) << "the slot's old id is stale";
}

// The same churn as a busy NAT makes, one address, many ports: no id comes back.
TEST_F(ConnTable, ChurnFromOneAddressNeverRepeatsAnId) {
    std::set<ConnId> seen;
    for (uint32_t i = 0; i < 40000; ++i) {  // 5000 uses of each slot
        TcpConn* c = t->alloc(addr("198.51.100.1", static_cast<uint16_t>(1024 + i % 60000)), 0, 0,
                              ConnState::Open, false);
        ASSERT_NE(c, nullptr);
        ASSERT_TRUE(seen.insert(c->id.load()).second) << "id repeated after " << i;
        t->release(c);
    }
}

// The generation is 32 bits: ids go past 2^32, and after the last generation the slot starts
// again at 1, never 0 (an id of 0 means "no connection").
TEST_F(ConnTable, GenerationUsesThirtyTwoBitsAndWrapsToOne) {
    TcpConn* c[8];
    for (auto& p : c) {
        p = t->alloc(addr("192.0.2.11", 5060), 0, 0, ConnState::Open, false);
        ASSERT_NE(p, nullptr);
    }
    TcpConn* s = c[3];
    t->release(s);  // the only free slot: the next alloc takes it
    s->gen = UINT32_MAX - 1;
    ASSERT_EQ(t->alloc(addr("192.0.2.11", 5061), 0, 0, ConnState::Open, false), s);
    const ConnId high = s->id.load();
    EXPECT_EQ(connGeneration(high), UINT32_MAX);
    EXPECT_EQ(connSlot(high), 3u);
    EXPECT_GT(high, ConnId{UINT32_MAX}) << "the id does not fit 32 bits";
    EXPECT_TRUE(t->lockById(high));
    EXPECT_FALSE(t->lockById(high & 0xffffffffu)) << "a truncated id finds nothing";
    t->release(s);
    ASSERT_EQ(t->alloc(addr("192.0.2.11", 5062), 0, 0, ConnState::Open, false), s);
    const ConnId wrapped = s->id.load();
    EXPECT_EQ(connGeneration(wrapped), 1u);
    EXPECT_NE(wrapped, 0u);
    EXPECT_FALSE(t->lockById(high));
}

// A reply names its connection by id; the lookup also wants the peer the caller expects: the
// same address and port, or the address alone when the port is not known.
TEST_F(ConnTable, LookupByIdChecksTheExpectedPeer) {
    const SockAddr peer = addr("203.0.113.9", 40123);
    TcpConn* c = t->alloc(peer, 0, 0, ConnState::Open, false);
    ASSERT_NE(c, nullptr);
    const ConnId id = c->id.load();
    EXPECT_TRUE(t->lockByIdFrom(id, peer, true));
    EXPECT_TRUE(t->lockByIdFrom(id, addr("::ffff:203.0.113.9", 40123), true));
    EXPECT_FALSE(t->lockByIdFrom(id, addr("203.0.113.9", 40124), true)) << "another port";
    EXPECT_TRUE(t->lockByIdFrom(id, addr("203.0.113.9", 5060), false)) << "port not known";
    EXPECT_FALSE(t->lockByIdFrom(id, addr("203.0.113.10", 40123), true)) << "another address";
    EXPECT_FALSE(t->lockByIdFrom(id, addr("203.0.113.10", 40123), false));
    EXPECT_FALSE(c->lock.isLocked()) << "a refused lookup leaves the connection unlocked";
    t->release(c);
    EXPECT_FALSE(t->lockByIdFrom(id, peer, true)) << "stale id";
}

TEST_F(ConnTable, ManyPeersInOneBucketChainStayFindable) {
    ConnId ids[8];
    for (uint16_t i = 0; i < 8; ++i) {
        TcpConn* c = t->alloc(addr("10.0.0.1", static_cast<uint16_t>(1000 + i)), 0, 0,
                              ConnState::Open, false);
        ASSERT_NE(c, nullptr);
        ids[i] = c->id.load();
    }
    // Release from the middle, the others are still there.
    ConnRef ref = t->lockById(ids[3]);
    ASSERT_TRUE(ref);
    TcpConn* mid = ref.conn;
    ref.guard.unlock();
    t->release(mid);
    for (uint16_t i = 0; i < 8; ++i) {
        EXPECT_EQ(t->findByAddr(addr("10.0.0.1", static_cast<uint16_t>(1000 + i))),
                  i == 3 ? 0u : ids[i]);
    }
}

TEST_F(ConnTable, FindOrCreateMakesOneOutgoingConnection) {
    const SockAddr peer = addr("198.51.100.7", 5060);
    bool created = false;
    const ConnId id = t->findByAddr(peer, true, 4, &created);
    ASSERT_NE(id, 0u);
    EXPECT_TRUE(created);
    bool again = true;
    EXPECT_EQ(t->findByAddr(peer, true, 4, &again), id);
    EXPECT_FALSE(again);
    ConnRef ref = t->lockById(id);
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref.conn->state, ConnState::Connecting);
    EXPECT_TRUE(ref.conn->outgoing);
    EXPECT_EQ(ref.conn->socket, 4);
}

TEST_F(ConnTable, ClosingConnectionsAreNotFoundByAddress) {
    const SockAddr peer = addr("198.51.100.8", 5060);
    TcpConn* c = t->alloc(peer, 0, 0, ConnState::Open, false);
    ASSERT_NE(c, nullptr);
    c->closeRequested.store(1);
    EXPECT_EQ(t->findByAddr(peer), 0u);
}

TEST_F(ConnTable, NewConnectionsSpreadOverWorkers) {
    for (uint16_t i = 0; i < 7; ++i) {
        ASSERT_NE(
            t->alloc(addr("10.0.0.2", i + 1), 0, t->leastLoadedWorker(), ConnState::Open, false),
            nullptr);
    }
    // 7 connections over 3 workers: 3, 2, 2 in some order.
    uint32_t most = 0, least = 100;
    for (unsigned w = 0; w < 3; ++w) {
        most = std::max(most, t->ownedBy(w));
        least = std::min(least, t->ownedBy(w));
    }
    EXPECT_EQ(most, 3u);
    EXPECT_EQ(least, 2u);
}

TEST_F(ConnTable, ReleaseFreesTheQueue) {
    const size_t before = mem::shmStats().used;
    TcpConn* c = t->alloc(addr("10.0.0.3", 1), 0, 0, ConnState::Open, false);
    ASSERT_NE(c, nullptr);
    std::string big(10000, 'x');
    iovec iov{big.data(), big.size()};
    {
        ConnRef ref = t->lockById(c->id.load());
        ASSERT_TRUE(ref.conn->queue.append(&iov, 1, 0, 0));
        ASSERT_TRUE(ref.conn->queue.append(&iov, 1, 0, 0));
        EXPECT_EQ(ref.conn->queue.bytes, 20000u);
    }
    EXPECT_GT(mem::shmStats().used, before);
    t->release(c);
    mem::shmFlushCache();
    EXPECT_EQ(mem::shmStats().used, before);
}

// --- write queue ----------------------------------------------------------------------------

std::string drain(int fd) {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

TEST_F(ConnTable, QueueKeepsOrderAcrossShortWrites) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    WriteQueue q;
    std::string expect;
    for (int i = 0; i < 20; ++i) {
        std::string head = "msg" + std::to_string(i) + ":";
        std::string body(3000, static_cast<char>('a' + i));
        iovec iov[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
        // The first message skips its first two octets (as if written directly already).
        ASSERT_TRUE(q.append(iov, 2, i == 0 ? 2 : 0, 1));
        expect += (head + body).substr(i == 0 ? 2 : 0);
    }
    std::string got;
    int err = 0;
    int rounds = 0;
    FlushResult r;
    while ((r = q.flush(sv[0], 2, &err)) == FlushResult::Blocked) {
        got += drain(sv[1]);
        ASSERT_LT(++rounds, 1000);
    }
    ASSERT_EQ(r, FlushResult::Empty);
    got += drain(sv[1]);
    EXPECT_GT(rounds, 0) << "the small buffer forced partial writes";
    EXPECT_EQ(got, expect);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.bytes, 0u);
    close(sv[0]);
    close(sv[1]);
}

TEST_F(ConnTable, QueueReportsABrokenSocket) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    WriteQueue q;
    char text[] = "hello";
    iovec iov{text, 5};
    ASSERT_TRUE(q.append(&iov, 1, 0, 0));
    int err = 0;
    EXPECT_EQ(q.flush(sv[0], 0, &err), FlushResult::Error);
    EXPECT_EQ(err, EPIPE);
    q.clear();
    EXPECT_TRUE(q.empty());
    close(sv[0]);
}

// A process that does not own the connection finds it by address and queues a message; the
// owner (this process) writes it out: what a UDP worker does with a reply for a TCP caller.
TEST_F(ConnTable, AnotherProcessQueuesForTheOwner) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    const SockAddr peer = addr("203.0.113.5", 5070);
    TcpConn* c = t->alloc(peer, 0, 0, ConnState::Open, false);
    ASSERT_NE(c, nullptr);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        mem::shmChildInit(1);
        int rc = 0;
        {
            const ConnId id = t->findByAddr(peer);
            ConnRef ref = t->lockById(id);
            char text[] = "SIP/2.0 200 OK\r\n\r\n";
            iovec iov{text, sizeof text - 1};
            if (!ref)
                rc = 2;
            else if (!ref.conn->queue.append(&iov, 1, 0, 0))
                rc = 3;
            else
                ref.conn->wakePending.store(1);
        }
        mem::shmFlushCache();
        _exit(rc);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(c->wakePending.load(), 1);
    int err = 0;
    {
        ConnRef ref = t->lockById(c->id.load());
        ASSERT_TRUE(ref);
        EXPECT_EQ(ref.conn->queue.flush(sv[0], 0, &err), FlushResult::Empty);
    }
    EXPECT_EQ(drain(sv[1]), "SIP/2.0 200 OK\r\n\r\n");
    close(sv[0]);
    close(sv[1]);
}

// Peers behind one /24 differ only in the last octet (the top byte of s_addr): the bucket
// index must still tell them apart, or they all land in a few buckets.
TEST(TcpConnTable, AddrHashSpreadsTheLastOctet) {
    std::set<uint32_t> buckets;
    for (int i = 0; i < 256; ++i) {
        SockAddr a;
        ASSERT_TRUE(parseIp("127.0.1." + std::to_string(i), 5060, a));
        buckets.insert(addrHash(a) & 0xfff);
    }
    EXPECT_GT(buckets.size(), 200u);  // 256 random draws from 4096 give about 248
}

}  // namespace
}  // namespace osprey::net
