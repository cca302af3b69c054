// A routing server stops cleanly on SIGTERM and SIGINT while requests are arriving: the master
// exits 0 within a second, no process of its tree is left (not even one re-parented away
// from it), the pid file is gone, and so is its shared memory (the segment is an anonymous
// shared mapping: it is released with the last process mapping it; no SysV segment or
// /dev/shm object may be left behind either).
#include <gtest/gtest.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

const char* kScript = R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)";

// Size of the shared mapping of the master that holds the shm segment: anonymous shared
// memory shows in /proc/<pid>/maps as "/dev/zero (deleted)" (0 when there is none).
size_t sharedAnonymousBytes(int pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    size_t total = 0;
    for (std::string line; std::getline(maps, line);) {
        if (line.find("/dev/zero (deleted)") == std::string::npos) continue;
        std::istringstream in(line);
        std::string range, perms;
        in >> range >> perms;
        if (perms.size() < 4 || perms[3] != 's') continue;
        const size_t dash = range.find('-');
        total += std::stoull(range.substr(dash + 1), nullptr, 16) -
                 std::stoull(range.substr(0, dash), nullptr, 16);
    }
    return total;
}

// SysV shared memory segments created by one of these pids.
int sysvSegmentsOf(const std::set<int>& pids) {
    std::ifstream in("/proc/sysvipc/shm");
    std::string header;
    std::getline(in, header);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        std::istringstream f(line);
        std::string key, id, perms, size;
        int cpid = 0;
        f >> key >> id >> perms >> size >> cpid;
        n += pids.count(cpid) != 0;
    }
    return n;
}

// POSIX shared memory objects whose name mentions osprey or one of these pids.
int devShmObjectsOf(const std::set<int>& pids) {
    int n = 0;
    if (DIR* d = opendir("/dev/shm")) {
        while (dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            bool ours = name.find("osprey") != std::string::npos;
            for (int p : pids) ours = ours || name.find(std::to_string(p)) != std::string::npos;
            n += ours;
        }
        closedir(d);
    }
    return n;
}

void expectCleanStopUnderLoad(int sig) {
    becomeSubreaper();  // a worker that outlived the master would be adopted here and seen
    SipPeer uac;
    SipRouterOptions o;
    o.children = 3;
    SipRouter router(kScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    OspreyProcess& osp = router.process();
    const int master = osp.pid();
    std::set<int> tree = {master};
    for (int k : router.workerPids()) tree.insert(k);
    ASSERT_EQ(tree.size(), 5u) << router.log();  // master, 3 workers, the DNS process
    ASSERT_TRUE(fileExists(osp.pidFilePath()));
    // The segment exists while the server runs (shm_size of SipRouter's config or more).
    EXPECT_GE(sharedAnonymousBytes(master), 1u << 20);

    // The workers are busy when the signal arrives.
    SipRequest first;
    first.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, first), router.port()));
    ASSERT_TRUE(uac.receiveCall(first.callId)) << router.log();
    for (int i = 0; i < 300; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    }
    const auto t0 = Clock::now();
    ASSERT_TRUE(osp.signal(sig));
    int status = 0;
    ASSERT_TRUE(osp.waitExit(1000, &status)) << "still running 1 s after signal " << sig << "\n"
                                             << router.log();
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    EXPECT_LT(took, 1000);
    ASSERT_TRUE(WIFEXITED(status)) << router.log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << router.log();

    for (int p : tree) {
        reapIfExited(p);
        EXPECT_FALSE(processAlive(p)) << "pid " << p << " outlived the stop\n" << router.log();
    }
    EXPECT_TRUE(childrenOf(getpid()).empty()) << "an orphan was re-parented to the test";
    EXPECT_FALSE(fileExists(osp.pidFilePath()));
    EXPECT_EQ(sysvSegmentsOf(tree), 0);
    EXPECT_EQ(devShmObjectsOf(tree), 0);
    EXPECT_EQ(router.process().countInLog("killing it"), 0u) << router.log();
    EXPECT_NE(router.log().find("stopped"), std::string::npos) << router.log();
}

TEST(ProcShutdown, SigtermWhileRoutingLeavesNothingBehind) {
    expectCleanStopUnderLoad(SIGTERM);
}

TEST(ProcShutdown, SigintWhileRoutingLeavesNothingBehind) {
    expectCleanStopUnderLoad(SIGINT);
}

}  // namespace
}  // namespace osprey::testsupport
