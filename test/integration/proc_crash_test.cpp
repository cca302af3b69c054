// Crashing children: the child writes a backtrace to the log, the master logs how it died and
// restarts it; too many crashes in a short time stop the whole server cleanly instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>

#include "test/support/osprey_process.h"
#include "test/support/proc_info.h"

namespace osprey::testsupport {
namespace {

std::string prefixOf(int pid) {
    return "[" + std::to_string(pid) + "]: ";
}

bool contains(const std::vector<int>& v, int x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// Kills one worker with `sig` and waits until the master has replaced it with a ready one.
// Returns the new worker's pid (0 on failure).
int crashAndAwaitRestart(OspreyProcess& osp, int victim, int sig, size_t* mark) {
    EXPECT_EQ(kill(victim, sig), 0);
    size_t end = osp.waitForLog("is ready again", 5000, *mark);
    if (end == std::string::npos) return 0;
    *mark = end;
    std::vector<int> before = {victim};
    int fresh = 0;
    pollUntil(
        [&] {
            for (int k : osp.childPids())
                if (!contains(before, k) &&
                    osp.log().find(prefixOf(k) + "heap self-test ok") != std::string::npos)
                    fresh = k;
            return fresh != 0;
        },
        2000);
    return fresh;
}

TEST(ProcCrash, SegfaultedWorkerLogsBacktraceAndIsRestarted) {
    OspreyProcess osp(minimalConfig(2));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    std::vector<int> kids = osp.childPids();
    ASSERT_EQ(kids.size(), 2u);
    int victim = kids[0];
    size_t mark = osp.log().size();

    int fresh = crashAndAwaitRestart(osp, victim, SIGSEGV, &mark);
    ASSERT_NE(fresh, 0) << osp.log();
    std::string log = osp.log();
    std::string v = prefixOf(victim);
    EXPECT_NE(log.find(v + "crash: SIGSEGV (11)"), std::string::npos) << log;
    EXPECT_NE(log.find(v + "  #0 0x"), std::string::npos) << log;
    // The backtrace names the worker's own code, not just libc.
    EXPECT_NE(log.find("idleWorkerMain"), std::string::npos) << log;
    EXPECT_NE(log.find(v + "crash: end of backtrace"), std::string::npos) << log;
    EXPECT_NE(log.find("(pid " + std::to_string(victim) + ") killed by signal 11"),
              std::string::npos)
        << log;

    std::vector<int> now = osp.childPids();
    EXPECT_EQ(now.size(), 2u);
    EXPECT_FALSE(contains(now, victim));
    EXPECT_TRUE(contains(now, kids[1]));  // the other worker was left alone
    EXPECT_TRUE(osp.running());
    EXPECT_EQ(osp.stop(), 0) << osp.log();
}

TEST(ProcCrash, AbortedWorkerIsRestartedToo) {
    OspreyProcess osp(minimalConfig(1));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    std::vector<int> kids = osp.childPids();
    ASSERT_EQ(kids.size(), 1u);
    size_t mark = osp.log().size();
    int fresh = crashAndAwaitRestart(osp, kids[0], SIGABRT, &mark);
    ASSERT_NE(fresh, 0) << osp.log();
    EXPECT_NE(osp.log().find(prefixOf(kids[0]) + "crash: SIGABRT (6)"), std::string::npos)
        << osp.log();
    EXPECT_EQ(osp.stop(), 0);
}

TEST(ProcCrash, AKilledWorkersShmCacheGoesBackToTheHeapBeforeItsRestart) {
    OspreyProcess osp(minimalConfig(2));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    int victim = osp.childPids().at(0);
    size_t mark = osp.log().size();
    // The heap self-test left blocks in the worker's shm cache; SIGKILL gives it no chance to
    // return them, so the master must (docs/shm-cache.md).
    ASSERT_NE(crashAndAwaitRestart(osp, victim, SIGKILL, &mark), 0) << osp.log();
    std::string log = osp.log();
    size_t gaveBack = log.find("cached by dead process " + std::to_string(victim));
    size_t restart = log.find("restarting ");
#if OSPREY_MEMDBG || defined(OSPREY_MEMMNG_qm)
    EXPECT_EQ(gaveBack, std::string::npos) << log;  // these builds have no shm cache
#else
    ASSERT_NE(gaveBack, std::string::npos) << log;
    EXPECT_LT(gaveBack, restart) << log;
    EXPECT_EQ(log.find("shm: gave back 0 bytes"), std::string::npos) << log;
#endif
    EXPECT_EQ(osp.stop(), 0) << osp.log();
}

TEST(ProcCrash, CrashLoopStopsTheServerCleanly) {
    OspreyProcess osp(minimalConfig(2));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    size_t mark = osp.log().size();
    int victim = osp.childPids().at(0);
    std::vector<int> seen = osp.childPids();
    // The budget is 5 restarts within 30 s; the 6th crash must stop the server.
    for (int i = 0; i < 5; ++i) {
        victim = crashAndAwaitRestart(osp, victim, SIGSEGV, &mark);
        ASSERT_NE(victim, 0) << "restart " << i << "\n" << osp.log();
        seen.push_back(victim);
    }
    ASSERT_EQ(kill(victim, SIGSEGV), 0);
    int status = 0;
    ASSERT_TRUE(osp.waitExit(3000, &status)) << osp.log();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_NE(WEXITSTATUS(status), 0);
    EXPECT_NE(osp.log().find("too many crashes"), std::string::npos) << osp.log();
    for (int k : seen) EXPECT_FALSE(processAlive(k)) << "left behind: " << k;
    EXPECT_FALSE(fileExists(osp.pidFilePath()));
}

}  // namespace
}  // namespace osprey::testsupport
