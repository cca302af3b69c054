// The usrloc table when a process dies holding a slot lock (docs/locks.md): a worker killed
// between inserting a new AOR's record and adding its first contact (the test hook's
// usrloc_slot die point) leaves an empty record; the next taker of the slot drops it,
// recounts, and the AOR registers normally afterwards.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "mem/lock/test_die.h"
#include "mem/shm.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {
namespace {

ContactData binding(const char* uri) {
    ContactData c;
    c.uri = uri;
    c.callId = "cid-1";
    c.cseq = 1;
    c.expires = 4000000000;
    c.lastModified = 1;
    return c;
}

TEST(UsrlocSlotOwnerDeath, RecordLeftWithoutContactsIsDroppedByTheNextTaker) {
    if (!mem::shmReady()) {
        ASSERT_TRUE(mem::shmInit(64u << 20));
    }
    Table* t = createTable("location", 4, 0);
    ASSERT_NE(t, nullptr);
    std::vector<ContactData> one{binding("sip:alice@192.0.2.1")};
    const int64_t now = 1000;
    ASSERT_EQ(tableSave(t, "sip:bob@example.com", one, false, 0, false, now, nullptr, nullptr),
              SaveStatus::Ok);

    ASSERT_TRUE(mem::testDieConfigure("usrloc_slot"));
    pid_t pid = fork();
    if (pid == 0) {
        mem::testDieAllowHere(true);
        (void)tableSave(t, "sip:alice@example.com", one, false, 0, false, now, nullptr, nullptr);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(mem::testDieConfigure(nullptr));
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

    // Walks every slot: the dead holder's is repaired on the way (the empty record goes).
    TableCounts tc = tableCounts(t);
    EXPECT_EQ(tc.records, 1u);
    EXPECT_EQ(tc.contacts, 1u);
    EXPECT_EQ(tableGet(t, "sip:alice@example.com", now, nullptr, nullptr), 0);
    EXPECT_EQ(tableGet(t, "sip:bob@example.com", now, nullptr, nullptr), 1);

    ASSERT_EQ(tableSave(t, "sip:alice@example.com", one, false, 0, false, now, nullptr, nullptr),
              SaveStatus::Ok);
    EXPECT_EQ(tableGet(t, "sip:alice@example.com", now, nullptr, nullptr), 1);
    tc = tableCounts(t);
    EXPECT_EQ(tc.records, 2u);
    destroyTable(t);
    EXPECT_TRUE(mem::shmCheck());
}

}  // namespace
}  // namespace osprey::usrloc
