// The process model end to end with the real binary: the master forks its workers, reports
// heap stats, and stops everything cleanly on SIGTERM/SIGINT; its children never outlive it.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>

#include "test/support/osprey_process.h"
#include "test/support/proc_info.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

std::string prefixOf(int pid) {
    return "[" + std::to_string(pid) + "]: ";
}

TEST(ProcLifecycle, ForksConfiguredWorkersThatPassTheHeapSelfTest) {
    OspreyProcess osp(minimalConfig(3));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    std::vector<int> kids = osp.childPids();
    ASSERT_EQ(kids.size(), 3u) << osp.log();
    std::string log = osp.log();
    for (int k : kids) {
        EXPECT_EQ(parentOf(k), osp.pid());
        EXPECT_NE(log.find(prefixOf(k) + "heap self-test ok"), std::string::npos)
            << "pid " << k << "\n"
            << log;
    }
    for (int i = 0; i < 3; ++i)
        EXPECT_NE(log.find("sip#" + std::to_string(i) + "["), std::string::npos) << log;
    EXPECT_EQ(readFile(osp.pidFilePath()), std::to_string(osp.pid()) + "\n");
    EXPECT_EQ(osp.stop(), 0) << osp.log();
}

TEST(ProcLifecycle, CommandLineOverridesTheConfigFile) {
    OspreyProcess osp(minimalConfig(2), {"-n", "4", "-m", "24", "-M", "3"});
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    EXPECT_EQ(osp.childPids().size(), 4u);
    std::string log = osp.log();
    EXPECT_NE(log.find("shm 24 MiB, pkg 3 MiB, 4 children"), std::string::npos) << log;
    EXPECT_EQ(osp.stop(), 0);
}

void expectCleanStopOn(int sig) {
    OspreyProcess osp(minimalConfig(3));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    std::vector<int> kids = osp.childPids();
    ASSERT_EQ(kids.size(), 3u);
    ASSERT_TRUE(fileExists(osp.pidFilePath()));

    auto t0 = Clock::now();
    ASSERT_TRUE(osp.signal(sig));
    int status = 0;
    ASSERT_TRUE(osp.waitExit(1000, &status)) << "still running 1 s after signal " << sig << "\n"
                                             << osp.log();
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    EXPECT_LT(took, 1000);
    ASSERT_TRUE(WIFEXITED(status)) << osp.log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << osp.log();
    // The master reaps its children before exiting, so none can be left even for a moment.
    for (int k : kids) EXPECT_FALSE(processAlive(k)) << "orphan " << k;
    EXPECT_FALSE(fileExists(osp.pidFilePath()));
    std::string log = osp.log();
    for (int k : kids)
        EXPECT_NE(log.find("(pid " + std::to_string(k) + ") exited with status 0"),
                  std::string::npos)
            << log;
    EXPECT_NE(log.find("stopped"), std::string::npos);
}

TEST(ProcLifecycle, SigtermStopsEverythingWithinASecond) {
    expectCleanStopOn(SIGTERM);
}

TEST(ProcLifecycle, SigintStopsEverythingWithinASecond) {
    expectCleanStopOn(SIGINT);
}

TEST(ProcLifecycle, HeapStatsAtStartAndOnSigusr1) {
    OspreyProcess osp(minimalConfig(2, "notice"));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    std::string master = prefixOf(osp.pid());
    std::string log = osp.log();
    EXPECT_NE(log.find(master + "shm: total "), std::string::npos) << log;
    EXPECT_NE(log.find(master + "pkg: total "), std::string::npos) << log;

    size_t mark = log.size();
    std::vector<int> kids = osp.childPids();
    ASSERT_EQ(kids.size(), 2u);
    ASSERT_TRUE(osp.signal(SIGUSR1));
    for (int k : kids) {
        EXPECT_NE(osp.waitForLog(prefixOf(k) + "pkg: total ", 5000, mark), std::string::npos)
            << osp.log();
        EXPECT_NE(osp.waitForLog(prefixOf(k) + "shm: total ", 5000, mark), std::string::npos)
            << osp.log();
    }
    // Every counter of the line is there.
    std::string after = osp.log().substr(mark);
    for (const char* field :
         {" used ", " real_used ", " free_frags ", " largest_free ", " allocs ", " frees "})
        EXPECT_NE(after.find(field), std::string::npos) << field;
    EXPECT_EQ(osp.stop(), 0);
}

TEST(ProcLifecycle, ChildrenDieWhenTheMasterIsKilled) {
    OspreyProcess osp(minimalConfig(3));
    ASSERT_TRUE(osp.start());
    ASSERT_TRUE(osp.waitReady()) << osp.log();
    std::vector<int> kids = osp.childPids();
    ASSERT_EQ(kids.size(), 3u);
    ASSERT_TRUE(osp.signal(SIGKILL));
    int status = 0;
    ASSERT_TRUE(osp.waitExit(2000, &status));
    for (int k : kids) {
        // Orphans are re-parented to this test (a subreaper): reap them as they go.
        EXPECT_TRUE(pollUntil(
            [k] {
                reapIfExited(k);
                return !processAlive(k);
            },
            1000))
            << "worker " << k << " outlived its master";
    }
}

TEST(ProcLifecycle, DaemonLauncherExitsOnceTheServerIsReady) {
    TempDir dir;
    std::string cfg = dir.write("osprey.cfg", minimalConfig(2));
    std::string pidFile = dir.file("osprey.pid");
    becomeSubreaper();
    // No -D: the launcher returns only after the daemon reported ready, so the pid file
    // must exist the moment it exits 0.
    RunResult r = runOsprey({"-f", cfg, "-P", pidFile}, 10000);
    ASSERT_EQ(r.exitCode, 0) << r.output;
    ASSERT_TRUE(fileExists(pidFile));
    int daemon = std::stoi(readFile(pidFile));
    ASSERT_TRUE(processAlive(daemon));
    std::vector<int> kids = childrenOf(daemon);
    EXPECT_EQ(kids.size(), 2u);
    ASSERT_EQ(kill(daemon, SIGTERM), 0);
    EXPECT_TRUE(pollUntil(
        [daemon] {
            reapIfExited(daemon);
            return !processAlive(daemon);
        },
        2000));
    for (int k : kids) EXPECT_FALSE(processAlive(k));
    EXPECT_FALSE(fileExists(pidFile));
}

}  // namespace
}  // namespace osprey::testsupport
