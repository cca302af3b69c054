// The permissions module's table on a real shm segment: what a row matches (exact addresses,
// networks, ports, groups, IPv6, IPv4-mapped), what a load refuses, and the publication: a
// reader inside a lookup keeps the old table alive until it leaves, a reader that died inside
// one makes the writer keep the old table rather than free it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/net/sock_addr.h"
#include "mem/shm.h"
#include "modules/permissions/address_table.h"
#include "modules/permissions/published_table.h"

namespace osprey::permissions {
namespace {

IpKey ip(const char* text) {
    net::SockAddr a;
    EXPECT_TRUE(net::parseIp(text, 0, a)) << text;
    return ipKeyOf(a);
}

class PermissionsTableTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(32u << 20));
        }
    }
};

AddressRow row(uint32_t group, const char* addr, int mask = -1, uint16_t port = 0,
               const char* tag = "") {
    AddressRow r;
    r.group = group;
    r.ip = addr;
    r.mask = mask;
    r.port = port;
    r.tag = tag;
    return r;
}

TEST_F(PermissionsTableTest, ExactNetworksPortsGroupsAndTags) {
    std::string error;
    AddressTable* t = AddressTable::build(
        {row(2, "192.0.2.1", 32, 0, "two"), row(1, "192.0.2.1", 32, 5060, "one"),
         row(3, "10.0.0.0", 8, 0, "net"), row(4, "2001:db8::", 32, 0, "v6net"), row(5, "::1")},
        512, &error);
    ASSERT_NE(t, nullptr) << error;
    EXPECT_EQ(t->exactEnd() - t->exactBegin(), 3);
    EXPECT_EQ(t->subnetEnd() - t->subnetBegin(), 2);

    const AddrEntry* e = t->match(1, ip("192.0.2.1"), 5060);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(t->tag(*e), "one");
    EXPECT_EQ(t->match(1, ip("192.0.2.1"), 5061), nullptr);     // port must match
    EXPECT_EQ(t->match(-1, ip("192.0.2.1"), 5061)->group, 2u);  // port 0: any
    EXPECT_EQ(t->match(-1, ip("192.0.2.1"), 5060)->group, 1u);  // lowest group first
    EXPECT_EQ(t->match(3, ip("10.200.1.1"), 1)->group, 3u);
    EXPECT_EQ(t->match(3, ip("11.0.0.1"), 1), nullptr);
    EXPECT_EQ(t->match(3, ip("::ffff:10.1.1.1"), 1)->group, 3u);  // IPv4-mapped is IPv4
    EXPECT_EQ(t->match(4, ip("2001:db8:ffff::1"), 1)->group, 4u);
    EXPECT_EQ(t->match(4, ip("2001:db9::1"), 1), nullptr);
    EXPECT_EQ(t->match(5, ip("::1"), 9)->hasTag, 0);
    EXPECT_EQ(ipText(t->subnetBegin()->key, true), "10.0.0.0");
    AddressTable::destroy(t);
}

TEST_F(PermissionsTableTest, RefusesBadRowsAndTooManySubnets) {
    std::string error;
    EXPECT_EQ(AddressTable::build({row(1, "not-an-ip")}, 512, &error), nullptr);
    EXPECT_NE(error.find("not an IP address"), std::string::npos) << error;
    EXPECT_EQ(AddressTable::build({row(1, "10.0.0.1", 33)}, 512, &error), nullptr);
    EXPECT_NE(error.find("longer than the address"), std::string::npos) << error;
    EXPECT_EQ(AddressTable::build({row(1, "10.0.0.0", 8), row(1, "11.0.0.0", 8)}, 1, &error),
              nullptr);
    EXPECT_NE(error.find("max_subnets"), std::string::npos) << error;
    AddressTable* empty = AddressTable::build({}, 512, &error);
    ASSERT_NE(empty, nullptr);
    EXPECT_EQ(empty->match(-1, ip("10.0.0.1"), 1), nullptr);
    AddressTable::destroy(empty);
}

// Shared between the test and its child: which tables were freed, where the reader is.
struct Shared {
    std::atomic<int> freed[4];
    std::atomic<int> inside;
    std::atomic<int> release;
};
Shared* g_shared = nullptr;
int g_tables[4];  // stand-ins: only their addresses are published

void markFreed(void* t) {
    g_shared->freed[static_cast<int*>(t) - g_tables].store(1);
}

bool waitFor(const std::atomic<int>& flag, int value, int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (flag.load() != value) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

// A child that enters a lookup on `p`, says so, and leaves when told (or dies inside).
pid_t startReader(PublishedTable* p, bool dieInside) {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    {
        PublishedTable::ReadGuard g(*p);
        g_shared->inside.store(g.table() == &g_tables[0] ? 1 : 2);
        if (dieInside) _exit(0);  // the guard never leaves
        waitFor(g_shared->release, 1, 10000);
    }
    _exit(0);
}

TEST_F(PermissionsTableTest, OldTableIsFreedOnlyAfterTheReaderInsideLeaves) {
    g_shared = new (mem::shmAllocZero(sizeof(Shared))) Shared();
    PublishedTable* p = PublishedTable::create();
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->publish(&g_tables[0], &markFreed));
    const pid_t child = startReader(p, false);
    ASSERT_TRUE(waitFor(g_shared->inside, 1, 5000));

    std::atomic<bool> published{false};
    std::thread writer([&] {
        EXPECT_TRUE(p->publish(&g_tables[1], &markFreed));
        published.store(true);
    });
    // The writer must still be waiting for the reader a while later.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(published.load());
    EXPECT_EQ(g_shared->freed[0].load(), 0);
    g_shared->release.store(1);
    writer.join();
    EXPECT_EQ(g_shared->freed[0].load(), 1);
    EXPECT_EQ(g_shared->freed[1].load(), 0);
    int status = 0;
    EXPECT_EQ(waitpid(child, &status, 0), child);
    {
        PublishedTable::ReadGuard g(*p);
        EXPECT_EQ(g.table(), &g_tables[1]);
    }
    // No reader inside: the next publish frees at once.
    EXPECT_TRUE(p->publish(&g_tables[2], &markFreed));
    EXPECT_EQ(g_shared->freed[1].load(), 1);
    PublishedTable::destroy(p, &markFreed);
    EXPECT_EQ(g_shared->freed[2].load(), 1);
    mem::shmFree(g_shared);
}

TEST_F(PermissionsTableTest, ReaderThatDiedInsideMakesTheWriterKeepTheOldTable) {
    g_shared = new (mem::shmAllocZero(sizeof(Shared))) Shared();
    PublishedTable* p = PublishedTable::create();
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->publish(&g_tables[0], &markFreed));
    const pid_t child = startReader(p, true);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_EQ(g_shared->inside.load(), 1);
    EXPECT_FALSE(p->publish(&g_tables[1], &markFreed));  // waits kMaxWaitMs, then gives up
    EXPECT_EQ(g_shared->freed[0].load(), 0);             // leaked, never freed under a reader
    // The slot's next lookup (a process restarted in it) moves its value on.
    { PublishedTable::ReadGuard g(*p); }
    EXPECT_TRUE(p->publish(&g_tables[2], &markFreed));
    EXPECT_EQ(g_shared->freed[1].load(), 1);
    PublishedTable::destroy(p, &markFreed);
    mem::shmFree(g_shared);
}

}  // namespace
}  // namespace osprey::permissions
