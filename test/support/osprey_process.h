// Runs the real osprey binary for integration tests: writes its config (and any script) into
// a temp dir, starts it in the foreground with its log in a file there, waits until it is
// ready, signals it, and stops it and every process it forked, by pid, when the test ends.
//
//   OspreyProcess osp(minimalConfig(2));
//   ASSERT_TRUE(osp.start());
//   ASSERT_TRUE(osp.waitReady());
//   EXPECT_EQ(osp.childPids().size(), 2u);
//   EXPECT_EQ(osp.stop(), 0);
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test/support/temp_dir.h"

namespace osprey::testsupport {

// The binary under test: $OSPREY_BINARY, else the build's osprey (OSPREY_BUILD_DIR).
std::string ospreyBinary();

struct StartOptions {
    std::string config;  // written to <dir>/osprey.cfg and passed with -f; "" for no -f
    std::vector<std::pair<std::string, std::string>> files;  // more files for <dir> (scripts)
    std::vector<std::string> args;                           // extra arguments, e.g. {"-n", "3"}
    bool pidFile = true;                                     // pass -P <dir>/osprey.pid
    std::string binary;                                      // "" = ospreyBinary()
};

class OspreyProcess {
public:
    explicit OspreyProcess(StartOptions opts = {});
    // The common case: this config text and these extra arguments.
    explicit OspreyProcess(std::string config, std::vector<std::string> args = {});
    ~OspreyProcess();  // stops the server and kills anything it left behind
    OspreyProcess(const OspreyProcess&) = delete;
    OspreyProcess& operator=(const OspreyProcess&) = delete;

    // Starts `osprey -D -E [-f cfg] [-P pid] args...`; false if it could not be spawned.
    bool start();
    // Waits for the master's "ready:" log line and the pid file; false on timeout or exit.
    bool waitReady(int timeoutMs = 10000);

    int pid() const { return pid_; }
    const TempDir& dir() const { return dir_; }
    std::string pidFilePath() const { return dir_.file("osprey.pid"); }
    std::string logPath() const { return dir_.file("osprey.log"); }
    std::string log() const;
    // Waits until the log holds `needle` at or after byte `from`; returns its end offset,
    // or std::string::npos on timeout.
    size_t waitForLog(std::string_view needle, int timeoutMs = 5000, size_t from = 0) const;
    size_t countInLog(std::string_view needle) const;

    // Live children of the master (and remembers them, so they are cleaned up at the end).
    std::vector<int> childPids();
    bool signal(int sig) const;
    bool running();
    // Waits for the master to exit; returns true and the wait status when it did in time.
    bool waitExit(int timeoutMs, int* status);
    // SIGTERM, wait up to timeoutMs, then SIGKILL. Returns the exit code (128+signal when
    // it was killed by a signal, -1 when it had to be killed by us or was not running).
    int stop(int timeoutMs = 3000);
    // Kills (SIGKILL) and reaps every child this server was seen with that is still alive.
    void killLeftovers();

private:
    StartOptions opts_;
    TempDir dir_;
    int pid_ = -1;
    bool exited_ = false;
    int status_ = 0;
    std::vector<int> seenChildren_;
};

struct RunResult {
    int exitCode = -1;   // exit status, 128+signal when killed, -1 on timeout
    std::string output;  // stdout and stderr together
};

// Runs osprey to completion (for -V, -h, -c, bad configs) with a bounded wait.
RunResult runOsprey(const std::vector<std::string>& args, int timeoutMs = 10000,
                    const std::string& binary = "");

// A small config for process tests: no listeners (no control socket either, so the only
// children are the test workers), little memory, verbose enough to see
// per-process start-up lines, and `children` test workers (idle_worker.h) from the test-only
// module testmod_idle. Append more settings (but `modules`) to the returned text as needed.
std::string minimalConfig(unsigned children, const char* logLevel = "info");

// A port that was free on 127.0.0.1 for the given socket type (SOCK_DGRAM / SOCK_STREAM)
// a moment ago; good enough to configure a test server's listen address.
uint16_t freePort(int sockType);

}  // namespace osprey::testsupport
