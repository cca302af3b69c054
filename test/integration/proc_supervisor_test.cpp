// The supervisor's decisions with process kinds the real binary does not have yet: a process
// that must not be restarted dies, a process fails during start-up, a process never becomes
// ready, a process ignores SIGTERM. In every case the whole server stops and nothing is left.
// Each case runs a master (shm + runMaster) in a forked process whose log goes to a pipe.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <functional>
#include <string>

#include "core/log/log.h"
#include "core/proc/child.h"
#include "test/support/idle_worker.h"
#include "core/proc/process_kind.h"
#include "core/proc/supervisor.h"
#include "mem/pkg.h"
#include "mem/shm.h"
#include "test/support/proc_info.h"

namespace osprey::proc {
namespace {

using Clock = std::chrono::steady_clock;

struct ServerRun {
    int exitCode = -1;
    std::string log;
    bool exited = false;
};

// Forks a master that declares `kinds` and supervises them. Once its log says `trigger`,
// sends it `signal` (0: none). Waits at most timeoutMs for it to exit.
ServerRun runServer(const std::vector<ProcessKind>& kinds, SupervisorOptions opts,
                    const char* trigger = nullptr, int signal = 0, int timeoutMs = 8000) {
    ServerRun run;
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_t master = fork();
    if (master == 0) {
        close(fds[0]);
        log::init(log::Target::Stderr, log::Level::Info);
        log::setOutputFd(fds[1]);
        log::setProcessName("master");
        blockMasterSignals();
        if (!mem::shmInit(8u << 20) || !mem::pkgInit(1u << 20)) _exit(99);
        for (const ProcessKind& k : kinds) declareProcesses(k);
        int rc = runMaster(opts);
        mem::pkgDestroy();
        mem::shmDestroy();
        _exit(rc);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    bool signalled = false;
    int status = 0;
    while (Clock::now() < deadline) {
        pollfd p{fds[0], POLLIN, 0};
        poll(&p, 1, 50);  // also the pace for checking the master's exit below
        char buf[4096];
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) > 0) run.log.append(buf, static_cast<size_t>(n));
        if (trigger && signal && !signalled && run.log.find(trigger) != std::string::npos) {
            kill(master, signal);
            signalled = true;
        }
        if (waitpid(master, &status, WNOHANG) == master) {
            run.exited = true;
            break;
        }
    }
    if (!run.exited) {
        kill(master, SIGKILL);
        waitpid(master, &status, 0);
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) run.log.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

// Every "forked X as pid N" is logged at debug only; collect pids from the log prefixes.
std::vector<int> pidsInLog(const std::string& log, const std::string& name) {
    std::vector<int> pids;
    for (size_t pos = log.find(name + "["); pos != std::string::npos;
         pos = log.find(name + "[", pos + 1)) {
        int pid = atoi(log.c_str() + pos + name.size() + 1);
        if (pid > 0) pids.push_back(pid);
    }
    return pids;
}

int readyThenAbort(const ChildContext&) {
    reportReady();
    LM_NOTICE("about to abort");
    abort();
}

int exitDuringStartup(const ChildContext&) {
    return 3;
}

int neverReady(const ChildContext&) {
    while (handleSignals()) {
        pollfd p{signalFd(), POLLIN, 0};
        poll(&p, 1, 1000);
    }
    return 0;
}

int ignoresSigterm(const ChildContext&) {
    reportReady();
    LM_NOTICE("deaf and ready");
    for (;;) pause();  // its SIGTERM stays blocked: only SIGKILL ends it
}

ProcessKind workers(unsigned n) {
    return ProcessKind{Rank::SipWorker, n, testsupport::idleWorkerMain, OnExit::Restart, "sip", true};
}

void expectAllGone(const std::string& log) {
    for (const char* name : {"sip#0", "sip#1", "timer#0", "ctl#0"})
        for (int pid : pidsInLog(log, name))
            EXPECT_FALSE(testsupport::processAlive(pid))
                << name << " pid " << pid << " left behind";
}

TEST(ProcSupervisor, DeathOfANonRestartableProcessStopsTheServer) {
    SupervisorOptions opts;
    ServerRun r = runServer(
        {workers(2), {Rank::Timer, 1, readyThenAbort, OnExit::Shutdown, "timer", true}}, opts);
    ASSERT_TRUE(r.exited) << r.log;
    EXPECT_EQ(r.exitCode, 1) << r.log;
    EXPECT_NE(r.log.find("timer#0 (pid "), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("killed by signal 6"), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("a process that cannot be restarted died"), std::string::npos) << r.log;
    EXPECT_EQ(r.log.find("restarting timer#0"), std::string::npos) << r.log;
    // The SIP workers were stopped with the rest, cleanly.
    EXPECT_NE(r.log.find("sip#0 (pid "), std::string::npos);
    EXPECT_NE(r.log.find("stopped after a failure"), std::string::npos);
    expectAllGone(r.log);
}

TEST(ProcSupervisor, FailureDuringStartupIsNotRetried) {
    SupervisorOptions opts;
    ServerRun r = runServer(
        {workers(2), {Rank::Control, 1, exitDuringStartup, OnExit::Restart, "ctl", true}}, opts);
    ASSERT_TRUE(r.exited) << r.log;
    EXPECT_EQ(r.exitCode, 1) << r.log;
    EXPECT_NE(r.log.find("ctl#0 (pid "), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("exited with status 3"), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("a process failed during start-up"), std::string::npos) << r.log;
    EXPECT_EQ(r.log.find("restarting"), std::string::npos) << r.log;
    EXPECT_EQ(r.log.find("ready:"), std::string::npos) << r.log;
    expectAllGone(r.log);
}

TEST(ProcSupervisor, StartupTimeoutStopsTheServer) {
    SupervisorOptions opts;
    opts.startTimeoutMs = 300;
    ServerRun r = runServer(
        {workers(1), {Rank::Timer, 1, neverReady, OnExit::Shutdown, "timer", true}}, opts);
    ASSERT_TRUE(r.exited) << r.log;
    EXPECT_EQ(r.exitCode, 1) << r.log;
    EXPECT_NE(r.log.find("not every process was ready within 300 ms"), std::string::npos) << r.log;
    EXPECT_EQ(r.log.find("ready:"), std::string::npos) << r.log;
    expectAllGone(r.log);
}

TEST(ProcSupervisor, AProcessIgnoringSigtermIsKilledAfterTheGracePeriod) {
    SupervisorOptions opts;
    opts.stopTimeoutMs = 200;
    auto t0 = Clock::now();
    ServerRun r =
        runServer({workers(1), {Rank::Control, 1, ignoresSigterm, OnExit::Shutdown, "ctl", true}},
                  opts, "ready:", SIGTERM);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    ASSERT_TRUE(r.exited) << r.log;
    EXPECT_EQ(r.exitCode, 0) << r.log;  // the stop was requested; the kill is only logged
    EXPECT_NE(r.log.find("ctl#0 (pid "), std::string::npos);
    EXPECT_NE(r.log.find("did not stop within 200 ms, killing it"), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("killed by signal 9"), std::string::npos) << r.log;
    EXPECT_LT(took, 5000);
    expectAllGone(r.log);
}

TEST(ProcSupervisor, TheGracePeriodComesFromTheEnvironment) {
    // Valgrind runs set a longer grace this way (or get one by detection): a child that
    // needs more than 700 ms to stop must not be killed.
    ASSERT_EQ(setenv("OSPREY_STOP_GRACE_MS", "350", 1), 0);
    SupervisorOptions opts;
    unsetenv("OSPREY_STOP_GRACE_MS");
    EXPECT_EQ(opts.stopTimeoutMs, 350);
    ServerRun r =
        runServer({workers(1), {Rank::Control, 1, ignoresSigterm, OnExit::Shutdown, "ctl", true}},
                  opts, "ready:", SIGTERM);
    ASSERT_TRUE(r.exited) << r.log;
    EXPECT_NE(r.log.find("did not stop within 350 ms, killing it"), std::string::npos) << r.log;
    expectAllGone(r.log);

    for (const char* bad : {"", "0", "-5", "12x", "9999999"}) {
        ASSERT_EQ(setenv("OSPREY_STOP_GRACE_MS", bad, 1), 0);
        EXPECT_EQ(defaultStopGraceMs(), kStopGraceMs) << "'" << bad << "'";
    }
    unsetenv("OSPREY_STOP_GRACE_MS");
}

TEST(ProcSupervisor, NoProcessesDeclaredIsReadyAtOnce) {
    SupervisorOptions opts;
    ServerRun r = runServer({}, opts, "ready:", SIGTERM);
    ASSERT_TRUE(r.exited) << r.log;
    EXPECT_EQ(r.exitCode, 0) << r.log;
    EXPECT_NE(r.log.find("ready: 1 processes running"), std::string::npos) << r.log;
}

}  // namespace
}  // namespace osprey::proc
