// Process-shared locks: mutual exclusion across forked processes, the futex sleep path,
// striping, RAII guards, and takeover of a lock whose holder was killed.
#include <gtest/gtest.h>

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <new>
#include <vector>

#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/lock/lock_set.h"
#include "mem/lock/spin_lock.h"
#include "mem/mem_log.h"

using namespace osprey::mem;

namespace {

// An anonymous shared mapping holding one T, visible to children forked after it.
template <class T>
class SharedObject {
public:
    SharedObject() {
        void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED) abort();
        obj_ = new (p) T();
    }
    ~SharedObject() {
        obj_->~T();
        munmap(obj_, sizeof(T));
    }
    T* operator->() { return obj_; }
    T& operator*() { return *obj_; }

private:
    T* obj_;
};

// Runs fn in a forked child; the child exits with fn's return value.
pid_t forkChild(const std::function<int()>& fn) {
    pid_t pid = fork();
    if (pid == 0) _exit(fn());
    return pid;
}

// Reaps pid and returns its exit code, or -1 if it did not exit normally.
int reap(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Reads one byte from fd, waiting at most timeoutMs; -1 on timeout or error.
int readByte(int fd, int timeoutMs) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, timeoutMs) != 1) return -1;
    unsigned char c;
    return read(fd, &c, 1) == 1 ? c : -1;
}

constexpr int kBoundMs = 20000;  // generous bound for "eventually" under ASan on 2 loaded cores

template <class L>
struct Counted {
    L lock;
    uint64_t counter = 0;  // deliberately not atomic: only the lock makes increments safe
};

// N processes increment a shared counter under the lock; any lost update shows in the total.
template <class L>
void runMutualExclusion(int procs, int iters) {
    SharedObject<Counted<L>> shared;
    std::vector<pid_t> kids;
    for (int p = 0; p < procs; ++p) {
        kids.push_back(forkChild([&] {
            for (int i = 0; i < iters; ++i) {
                LockGuard g(shared->lock);
                uint64_t v = shared->counter;
                if ((i & 63) == 0) sched_yield();  // widen the window a broken lock would lose
                shared->counter = v + 1;
            }
            return 0;
        }));
    }
    for (pid_t k : kids) EXPECT_EQ(reap(k), 0);
    EXPECT_EQ(shared->counter, static_cast<uint64_t>(procs) * iters);
    EXPECT_FALSE(shared->lock.isLocked());
}

// Captures log lines of this process into a fixed buffer (usable in a child).
char g_logged[512];
void captureSink(int, const char* text) {
    size_t used = strlen(g_logged);
    snprintf(g_logged + used, sizeof g_logged - used, "%s\n", text);
}

struct DeathScene {
    FutexMutex mutex;
    SpinLock spin;
    std::atomic<int> status{-1};  // LockStatus seen by the taker
    char log[512] = {};
};

// A child takes the lock and is killed with SIGKILL while holding it; a second child is
// already waiting for it. The waiter must get the lock with OwnerDied, and log it.
template <class L>
void runDeadHolder(L DeathScene::*which) {
    SharedObject<DeathScene> scene;
    L& lock = (*scene).*which;
    int held[2], taken[2];
    ASSERT_EQ(pipe(held), 0);
    ASSERT_EQ(pipe(taken), 0);
    pid_t holder = forkChild([&] {
        (void)lock.lock();
        char c = 'h';
        if (write(held[1], &c, 1) != 1) return 1;
        for (;;) pause();  // hold the lock until killed
    });
    ASSERT_EQ(readByte(held[0], kBoundMs), 'h');
    ASSERT_EQ(lock.owner(), static_cast<uint32_t>(holder));

    pid_t waiter = forkChild([&] {
        g_logged[0] = '\0';
        setLogSink(captureSink);
        LockStatus st = lock.lock();
        scene->status = static_cast<int>(st);
        snprintf(scene->log, sizeof scene->log, "%s", g_logged);
        lock.unlock();
        char c = 't';
        return write(taken[1], &c, 1) == 1 ? 0 : 1;
    });
    // Let the waiter get stuck on the lock first (it cannot get it while the holder lives).
    if constexpr (requires { lock.hasWaiters(); }) {
        for (long i = 0; i < 100000000 && !lock.hasWaiters(); ++i) sched_yield();
        EXPECT_TRUE(lock.hasWaiters());
    }
    EXPECT_EQ(readByte(taken[0], 0), -1);
    kill(holder, SIGKILL);
    // The holder is deliberately not reaped yet: a zombie holder must count as dead too.
    EXPECT_EQ(readByte(taken[0], kBoundMs), 't');
    EXPECT_EQ(reap(waiter), 0);
    EXPECT_EQ(reap(holder), -1);
    EXPECT_EQ(scene->status.load(), static_cast<int>(LockStatus::OwnerDied));
    EXPECT_NE(strstr(scene->log, "died"), nullptr) << scene->log;
    EXPECT_FALSE(lock.isLocked());
    for (int fd : {held[0], held[1], taken[0], taken[1]}) close(fd);
}

} // namespace

TEST(FutexMutex, FreshLockIsUnlockedAndTryLockWorks) {
    FutexMutex m;
    EXPECT_FALSE(m.isLocked());
    EXPECT_TRUE(m.tryLock());
    EXPECT_EQ(m.owner(), currentTid());
    EXPECT_FALSE(m.tryLock());
    m.unlock();
    EXPECT_FALSE(m.isLocked());
    EXPECT_EQ(m.lock(), LockStatus::Acquired);
    m.unlock();
}

TEST(FutexMutex, ZeroFilledMemoryIsAnUnlockedLock) {
    alignas(FutexMutex) unsigned char raw[sizeof(FutexMutex)];
    memset(raw, 0, sizeof raw);
    auto* m = reinterpret_cast<FutexMutex*>(raw);
    EXPECT_FALSE(m->isLocked());
    EXPECT_TRUE(m->tryLock());
    m->unlock();
}

TEST(FutexMutex, MutualExclusionAcrossProcesses) { runMutualExclusion<FutexMutex>(4, 20000); }

TEST(FutexMutex, ContendedLockerSleepsAndIsWokenByUnlock) {
    struct Scene {
        FutexMutex m;
        uint64_t value = 0;
        uint64_t seen = 0;
    };
    SharedObject<Scene> s;
    ASSERT_EQ(s->m.lock(), LockStatus::Acquired);
    pid_t child = forkChild([&] {
        LockGuard g(s->m);
        s->seen = s->value;
        return 0;
    });
    // The child marks the word "waiters" only on its futex path (after its short spin).
    bool sleeping = false;
    for (long i = 0; i < 100000000 && !sleeping; ++i) {
        sleeping = s->m.hasWaiters();
        if (!sleeping) sched_yield();
    }
    EXPECT_TRUE(sleeping);
    s->value = 42;
    s->m.unlock();
    EXPECT_EQ(reap(child), 0);
    EXPECT_EQ(s->seen, 42u);
    EXPECT_FALSE(s->m.isLocked());
    EXPECT_FALSE(s->m.hasWaiters());
}

TEST(FutexMutex, HolderKilledWhileHoldingIsTakenOverWithOwnerDied) {
    runDeadHolder(&DeathScene::mutex);
}

TEST(FutexMutex, DeadHolderFoundWithoutWaitersByNextLocker) {
    SharedObject<DeathScene> scene;
    int held[2];
    ASSERT_EQ(pipe(held), 0);
    pid_t holder = forkChild([&] {
        (void)scene->mutex.lock();
        char c = 'h';
        if (write(held[1], &c, 1) != 1) return 1;
        for (;;) pause();
    });
    ASSERT_EQ(readByte(held[0], kBoundMs), 'h');
    kill(holder, SIGKILL);
    EXPECT_EQ(reap(holder), -1);
    g_logged[0] = '\0';
    setLogSink(captureSink);
    EXPECT_EQ(scene->mutex.lock(), LockStatus::OwnerDied);
    setLogSink(nullptr);
    EXPECT_NE(strstr(g_logged, "died"), nullptr);
    EXPECT_EQ(scene->mutex.owner(), currentTid());
    scene->mutex.unlock();
    EXPECT_EQ(scene->mutex.lock(), LockStatus::Acquired);
    scene->mutex.unlock();
    close(held[0]);
    close(held[1]);
}

TEST(SpinLock, MutualExclusionAcrossProcesses) { runMutualExclusion<SpinLock>(3, 20000); }

TEST(SpinLock, HolderKilledWhileHoldingIsTakenOverWithOwnerDied) {
    runDeadHolder(&DeathScene::spin);
}

TEST(LockGuard, UnlocksOnScopeExitAndReportsStatus) {
    FutexMutex m;
    {
        LockGuard g(m);
        EXPECT_TRUE(m.isLocked());
        EXPECT_FALSE(g.ownerDied());
        EXPECT_EQ(g.status(), LockStatus::Acquired);
    }
    EXPECT_FALSE(m.isLocked());
}

namespace {
struct Bucket {
    FutexMutex lock;
    int value = 0;
};
// The shape the style guide asks for: a lookup that keeps its bucket locked returns the guard.
std::pair<int*, UniqueGuard<FutexMutex>> lookupLocked(Bucket& b) {
    UniqueGuard g(b.lock);
    return {&b.value, std::move(g)};
}
} // namespace

TEST(UniqueGuard, MovesOwnershipOutOfALookup) {
    Bucket b;
    {
        auto [value, guard] = lookupLocked(b);
        EXPECT_TRUE(guard.ownsLock());
        EXPECT_TRUE(b.lock.isLocked());
        *value = 7;
        UniqueGuard<FutexMutex> other(std::move(guard));
        EXPECT_FALSE(guard.ownsLock());
        EXPECT_TRUE(other.ownsLock());
        EXPECT_EQ(other.mutex(), &b.lock);
        EXPECT_TRUE(b.lock.isLocked());
    }
    EXPECT_FALSE(b.lock.isLocked());
    EXPECT_EQ(b.value, 7);
}

TEST(UniqueGuard, MoveAssignReleasesTheOldLockAndTryToLockFailsWhenHeld) {
    FutexMutex a, b;
    UniqueGuard ga(a);
    UniqueGuard gb(b);
    ga = std::move(gb);
    EXPECT_FALSE(a.isLocked());
    EXPECT_TRUE(b.isLocked());
    EXPECT_EQ(ga.mutex(), &b);

    UniqueGuard<FutexMutex> busy(b, tryToLock);
    EXPECT_FALSE(busy.ownsLock());
    UniqueGuard<FutexMutex> free(a, tryToLock);
    EXPECT_TRUE(free.ownsLock());

    ga.unlock();
    EXPECT_FALSE(b.isLocked());
    EXPECT_FALSE(ga);

    FutexMutex* raw = free.release();
    EXPECT_EQ(raw, &a);
    EXPECT_TRUE(a.isLocked());  // release() hands the unlock to the caller
    raw->unlock();
}

TEST(LockSet, StripesByHashAndLocksIndependently) {
    LockSet<8> set;
    EXPECT_EQ(set.size(), 8u);
    EXPECT_EQ(&set.forHash(3), &set.forHash(3 + 8));
    EXPECT_NE(&set.forHash(3), &set.forHash(4));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(&set.at(1)) - reinterpret_cast<uintptr_t>(&set.at(0)),
              kCacheLine);
    LockGuard g(set.forHash(3));
    EXPECT_FALSE(set.forHash(11).tryLock());
    EXPECT_TRUE(set.forHash(4).tryLock());
    set.forHash(4).unlock();
}

TEST(LockSet, StripedCountersAcrossProcesses) {
    constexpr int kStripes = 4, kProcs = 3, kIters = 20000;
    struct Scene {
        LockSet<kStripes> locks;
        uint64_t counters[kStripes] = {};
    };
    SharedObject<Scene> s;
    std::vector<pid_t> kids;
    for (int p = 0; p < kProcs; ++p) {
        kids.push_back(forkChild([&, p] {
            for (int i = 0; i < kIters; ++i) {
                uint64_t h = static_cast<uint64_t>(i) * 2654435761u + p;
                LockGuard g(s->locks.forHash(h));
                s->counters[h % kStripes]++;
            }
            return 0;
        }));
    }
    for (pid_t k : kids) EXPECT_EQ(reap(k), 0);
    uint64_t expect[kStripes] = {};
    for (int p = 0; p < kProcs; ++p)
        for (int i = 0; i < kIters; ++i)
            expect[(static_cast<uint64_t>(i) * 2654435761u + p) % kStripes]++;
    for (int i = 0; i < kStripes; ++i) EXPECT_EQ(s->counters[i], expect[i]) << "stripe " << i;
}

TEST(RuntimeLockSet, BuiltInProvidedMemoryWithAlignedStripes) {
    using Set = RuntimeLockSet<SpinLock>;
    std::vector<unsigned char> mem(Set::bytesFor(16) + 8);
    EXPECT_EQ(Set::create(mem.data(), 12), nullptr);  // not a power of two
    EXPECT_EQ(Set::create(mem.data(), 0), nullptr);
    Set* set = Set::create(mem.data() + 8, 16);  // deliberately misaligned start
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->size(), 16u);
    EXPECT_EQ(&set->forHash(5), &set->forHash(21));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(&set->at(0)) % kCacheLine, 0u);
    EXPECT_LE(reinterpret_cast<unsigned char*>(&set->at(15)) + sizeof(PaddedLock<SpinLock>),
              mem.data() + mem.size());
    LockGuard g(set->forHash(5));
    EXPECT_FALSE(set->at(5).tryLock());
    EXPECT_TRUE(set->at(6).tryLock());
    set->at(6).unlock();
}
