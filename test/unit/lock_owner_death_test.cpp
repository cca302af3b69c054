// Dead-owner detection of the process-shared locks: a holder that ends without unlocking (an
// _exit() inside the critical section, a SIGKILL) is noticed by the next taker, who gets the
// lock with LockStatus::OwnerDied and the dead holder's id for its repair log. Runs in every
// allocator mode (make test-mem).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <new>

#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/lock/spin_lock.h"
#include "mem/lock/thread_id.h"

using namespace osprey::mem;

namespace {

// Locks in an anonymous shared mapping, as in the shm segment.
struct SharedLocks {
    FutexMutex mutex;
    SpinLock spin;
};

class LockOwnerDeath : public ::testing::Test {
protected:
    void SetUp() override {
        void* p = mmap(nullptr, sizeof(SharedLocks), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(p, MAP_FAILED);
        locks_ = new (p) SharedLocks();
    }
    void TearDown() override { munmap(locks_, sizeof(SharedLocks)); }

    // A child takes `lock` and leaves without unlocking: _exit() or SIGKILL to itself.
    // Returns the child's pid once it is gone and reaped.
    template <class L>
    pid_t childDiesHolding(L& lock, bool killed) {
        pid_t pid = fork();
        if (pid == 0) {
            (void)lock.lock();
            if (killed) kill(getpid(), SIGKILL);
            _exit(0);
        }
        int status = 0;
        EXPECT_EQ(waitpid(pid, &status, 0), pid);
        EXPECT_EQ(killed, WIFSIGNALED(status));
        return pid;
    }

    SharedLocks* locks_ = nullptr;
};

}  // namespace

TEST_F(LockOwnerDeath, FutexMutexHolderThatExitsIsReportedToTheNextLocker) {
    pid_t dead = childDiesHolding(locks_->mutex, false);
    EXPECT_EQ(locks_->mutex.owner(), static_cast<uint32_t>(dead));  // still marked as held
    EXPECT_EQ(locks_->mutex.lock(), LockStatus::OwnerDied);
    EXPECT_EQ(lastDeadOwner(), static_cast<uint32_t>(dead));
    EXPECT_TRUE(locks_->mutex.heldByCaller());
    locks_->mutex.unlock();
    // Recovered once: the next acquisition is an ordinary one.
    EXPECT_EQ(locks_->mutex.lock(), LockStatus::Acquired);
    locks_->mutex.unlock();
}

TEST_F(LockOwnerDeath, GuardsCarryTheDeadHoldersId) {
    pid_t dead = childDiesHolding(locks_->mutex, true);
    {
        LockGuard g(locks_->mutex);
        EXPECT_TRUE(g.ownerDied());
        EXPECT_EQ(g.deadOwner(), static_cast<uint32_t>(dead));
    }
    dead = childDiesHolding(locks_->mutex, true);
    UniqueGuard<FutexMutex> moved;
    {
        UniqueGuard g(locks_->mutex);
        moved = std::move(g);
    }
    EXPECT_TRUE(moved.ownerDied());
    EXPECT_EQ(moved.deadOwner(), static_cast<uint32_t>(dead));
    moved.unlock();
    LockGuard again(locks_->mutex);
    EXPECT_FALSE(again.ownerDied());
    EXPECT_EQ(again.deadOwner(), 0u);
}

TEST_F(LockOwnerDeath, SpinLockHolderThatExitsIsReportedToTheNextLocker) {
    pid_t dead = childDiesHolding(locks_->spin, false);
    EXPECT_EQ(locks_->spin.lock(), LockStatus::OwnerDied);
    EXPECT_EQ(lastDeadOwner(), static_cast<uint32_t>(dead));
    locks_->spin.unlock();
    EXPECT_EQ(locks_->spin.lock(), LockStatus::Acquired);
    locks_->spin.unlock();
}

TEST_F(LockOwnerDeath, HeldByCallerTellsTheHolderFromOthers) {
    EXPECT_FALSE(locks_->mutex.heldByCaller());
    ASSERT_EQ(locks_->mutex.lock(), LockStatus::Acquired);
    EXPECT_TRUE(locks_->mutex.heldByCaller());
    pid_t pid = fork();
    if (pid == 0) _exit(locks_->mutex.heldByCaller() ? 1 : 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);  // a child is another holder
    locks_->mutex.unlock();
    EXPECT_FALSE(locks_->mutex.heldByCaller());
}

// The one id reuse a locker can see for sure: its own id in the word while it does not hold
// the lock (a dead holder's id handed to this process). It must not sleep on itself forever.
TEST_F(LockOwnerDeath, OwnIdInTheWordIsTakenOverWithoutWaiting) {
    ASSERT_EQ(locks_->mutex.lock(), LockStatus::Acquired);
    // As if a dead process with our id had left it locked: lock again without unlocking.
    EXPECT_EQ(locks_->mutex.lock(), LockStatus::OwnerDied);
    EXPECT_EQ(lastDeadOwner(), currentTid());
    locks_->mutex.unlock();
    EXPECT_FALSE(locks_->mutex.isLocked());
}
