// Reloading the routing script with the real osprey (docs/reload.md): SIGHUP to the master
// checks the edited file first; a broken one is refused with file:line and the old script keeps
// serving; a good one reaches every process that runs Lua, each in a fresh Lua state (a global of
// the old script is gone); a process that cannot load the new generation keeps the old one and
// retries with back-off; and a reload in the middle of a stateful INVITE load loses no call.
// What each process runs is observed through its log lines ("running script generation N" at
// start, "switched to script generation N" on the switch).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/time_scale.h"

extern char** environ;

namespace osprey::testsupport {
namespace {

// A script that forwards every request to the UAS with X-Gen: <gen> and X-Old: <value of the
// global OLD>; the generation-1 script sets OLD, later ones do not.
std::string forwardingScript(const SipPeer& uas, const std::string& gen, bool setsOld,
                             const std::string& topLevelExtra = "") {
    std::string s = topLevelExtra;
    if (setsOld) s += "OLD = \"from-generation-1\"\n";
    s += "function ksr_request_route()\n"
         "    KSR.hdr.append(\"X-Gen: " +
         gen +
         "\\r\\n\")\n"
         "    KSR.hdr.append(\"X-Old: \" .. tostring(OLD) .. \"\\r\\n\")\n"
         "    KSR.setdsturi(\"sip:127.0.0.1:" +
         std::to_string(uas.port()) +
         "\")\n"
         "    KSR.forward()\n"
         "end\n";
    return s;
}

class ReloadTest : public ::testing::Test {
protected:
    void startRouter(unsigned children = 2, bool tcp = false) {
        SipRouterOptions o;
        o.children = children;
        o.tcp = tcp;  // TCP workers run Lua too
        router_ = std::make_unique<SipRouter>(forwardingScript(uas_, "1", true), o);
        ASSERT_TRUE(router_->start()) << router_->log();
        processes_ = router_->process().countInLog("lua: running script generation 1\n");
        ASSERT_GE(processes_, children) << router_->log();
    }

    // Replaces the script file and sends SIGHUP to the master; returns the log offset before.
    size_t reloadWith(const std::string& text) {
        const size_t before = router_->log().size();
        router_->process().dir().write("route.lua", text);
        EXPECT_TRUE(router_->process().signal(SIGHUP));
        return before;
    }

    // Sends one request and returns the X-Gen and X-Old the UAS saw ("" when nothing came).
    std::pair<std::string, std::string> probe() {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        EXPECT_TRUE(uac_.sendTo(buildRequest(uac_, r), router_->port()));
        auto req = uas_.receiveCall(r.callId);
        if (!req) return {"", ""};
        return {req->header("X-Gen"), req->header("X-Old")};
    }

    size_t countFrom(size_t from, const std::string& needle) {
        const std::string log = router_->log();
        size_t n = 0;
        for (size_t p = log.find(needle, from); p != std::string::npos;
             p = log.find(needle, p + needle.size()))
            ++n;
        return n;
    }

    SipPeer uac_, uas_;
    std::unique_ptr<SipRouter> router_;
    size_t processes_ = 0;
};

TEST_F(ReloadTest, BrokenScriptIsRefusedWithFileAndLineAndTheOldOneKeepsServing) {
    startRouter();
    ASSERT_EQ(probe().first, "1");

    struct Case {
        const char* what;
        std::string text;
        std::string expect;  // in the refusal's log line
    };
    const std::vector<Case> cases = {
        {"syntax error", "function ksr_request_route()\n  local x = = 1\nend\n", "route.lua:2:"},
        {"top-level runtime error", "local t = nil\n\nlocal y = t.field\n", "route.lua:3:"},
        {"no request route", "function something_else() end\n",
         "defines no function "
         "ksr_request_route"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        const size_t from = reloadWith(c.text);
        ASSERT_NE(router_->process().waitForLog("lua: reload refused, generation 1 keeps running",
                                                5000, from),
                  std::string::npos)
            << router_->log();
        const std::string log = router_->log().substr(from);
        EXPECT_NE(log.find(c.expect), std::string::npos) << log;
        EXPECT_EQ(log.find("published script generation"), std::string::npos) << log;
        EXPECT_EQ(log.find("switched to script generation"), std::string::npos) << log;
        // Old code, old state (its global still set), in every worker.
        for (int i = 0; i < 6; ++i) {
            auto [gen, old] = probe();
            EXPECT_EQ(gen, "1");
            EXPECT_EQ(old, "from-generation-1");
        }
    }
}

TEST_F(ReloadTest, GoodScriptReachesEveryProcessInAFreshStateWithinASecond) {
    startRouter(3, true);
    ASSERT_GE(processes_, 4u) << "SIP and TCP workers";
    ASSERT_EQ(probe().second, "from-generation-1");

    const size_t from = reloadWith(forwardingScript(uas_, "2", false));
    const size_t published =
        router_->process().waitForLog("lua: published script generation 2 ", 5000, from);
    ASSERT_NE(published, std::string::npos) << router_->log();
    const auto t0 = std::chrono::steady_clock::now();
    const bool all = pollUntil(
        [&] { return countFrom(from, "lua: switched to script generation 2 ") >= processes_; },
        scaledMs(1000), 10);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_TRUE(all) << "after " << ms << " ms\n" << router_->log().substr(from);
    EXPECT_EQ(countFrom(from, "lua: switched to script generation 2 "), processes_);

    for (int i = 0; i < 9; ++i) {  // several requests: more than one worker answers
        auto [gen, old] = probe();
        EXPECT_EQ(gen, "2");
        EXPECT_EQ(old, "nil") << "a global of the old script survived the reload";
    }
}

TEST_F(ReloadTest, AProcessThatCannotLoadKeepsTheOldStateAndRetriesWithBackOff) {
    startRouter();
    // Loads in the master (the check) but fails in every other process: the stand-in for a
    // worker that runs out of memory while building the new state.
    const std::string failOutsideMaster =
        "local stat = io.open(\"/proc/self/stat\")\n"
        "local pid = tonumber(stat:read(\"*l\"):match(\"^(%d+)\"))\n"
        "stat:close()\n"
        "if pid ~= " +
        std::to_string(router_->process().pid()) +
        " then error(\"simulated failure in a worker\") end\n";
    const size_t from = reloadWith(forwardingScript(uas_, "2", false, failOutsideMaster));
    ASSERT_NE(router_->process().waitForLog("lua: published script generation 2 ", 5000, from),
              std::string::npos)
        << router_->log();
    const std::string firstTry =
        "cannot switch to script generation 2, generation 1 keeps running (attempt 1, next in "
        "1000 ms)";
    const std::string secondTry =
        "cannot switch to script generation 2, generation 1 keeps running (attempt 2, next in "
        "2000 ms)";
    ASSERT_TRUE(pollUntil([&] { return countFrom(from, firstTry) >= processes_; }, 5000, 10))
        << router_->log().substr(from);
    EXPECT_NE(router_->log().find("route.lua:4: simulated failure in a worker", from),
              std::string::npos);
    for (int i = 0; i < 6; ++i) {
        auto [gen, old] = probe();
        EXPECT_EQ(gen, "1");
        EXPECT_EQ(old, "from-generation-1");
    }
    // The retry comes, later and not on every message.
    ASSERT_TRUE(pollUntil([&] { return countFrom(from, secondTry) >= processes_; }, 8000, 20))
        << router_->log().substr(from);
    EXPECT_EQ(countFrom(from, "(attempt 3,"), 0u) << router_->log().substr(from);

    // A good generation 3 replaces both.
    const size_t from3 = reloadWith(forwardingScript(uas_, "3", false));
    ASSERT_TRUE(pollUntil(
        [&] { return countFrom(from3, "lua: switched to script generation 3 ") >= processes_; },
        5000, 10))
        << router_->log().substr(from3);
    EXPECT_EQ(probe().first, "3");
}

// A child process with its output in a file; killed by pid if still running at the end.
class Spawned {
public:
    Spawned(const std::string& out, std::vector<std::string> args) : out_(out) {
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Spawned() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    Spawned(const Spawned&) = delete;
    Spawned& operator=(const Spawned&) = delete;
    bool started() const { return pid_ > 0; }
    int wait(int timeoutMs) {
        int status = 0;
        if (pid_ <= 0) return -1;
        if (!pollUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeoutMs, 20))
            return -1;
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::string output() const { return readFile(out_); }

private:
    std::string out_;
    pid_t pid_ = -1;
};

// The number after " name=" in osprey-load's RESULT line; UINT64_MAX when absent.
uint64_t resultField(const std::string& out, const std::string& name) {
    const size_t at = out.find(" " + name + "=");
    if (at == std::string::npos) return UINT64_MAX;
    const size_t from = at + name.size() + 2;
    const size_t end = out.find_first_not_of("0123456789", from);
    if (end == from) return UINT64_MAX;
    return std::stoull(out.substr(from, end - from));
}

// The benchmark's stateful script shape (scripts/bench/stateful.lua) with a generation marker
// logged at load, relaying through tm to osprey-load's UAS.
std::string statefulScript(uint16_t uasPort, int gen) {
    return "GEN = " + std::to_string(gen) +
           "\n"
           "local UAS_URI = \"sip:127.0.0.1:" +
           std::to_string(uasPort) +
           "\"\n"
           "function ksr_request_route()\n"
           "    if KSR.maxfwd.process_maxfwd(10) < 0 then\n"
           "        KSR.sl.send_reply(483, \"Too Many Hops\")\n"
           "        return 1\n"
           "    end\n"
           "    if KSR.siputils.has_totag() > 0 then\n"
           "        if KSR.rr.loose_route() > 0 then KSR.tm.t_relay() return 1 end\n"
           "        if KSR.is_ACK() then\n"
           "            if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end\n"
           "            return 1\n"
           "        end\n"
           "        KSR.sl.send_reply(404, \"Not here\")\n"
           "        return 1\n"
           "    end\n"
           "    if KSR.is_CANCEL() then\n"
           "        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end\n"
           "        return 1\n"
           "    end\n"
           "    if KSR.tm.t_check_trans() == 0 then return 1 end\n"
           "    KSR.rr.record_route()\n"
           "    KSR.setdsturi(UAS_URI)\n"
           "    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end\n"
           "    return 1\n"
           "end\n";
}

TEST(ReloadUnderLoad, ReloadsInTheMiddleOfAnInviteLoadLoseNoCall) {
    const std::string load = std::string(OSPREY_BUILD_DIR) + "/bench/osprey-load";
    ASSERT_EQ(access(load.c_str(), X_OK), 0) << "build " << load;
    const uint16_t uasPort = freePort(SOCK_DGRAM);
    SipRouterOptions o;
    o.children = 2;
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"pv\"; }, { name = \"rr\"; }, "
        "{ name = \"siputils\"; }, { name = \"tm\"; }";
    o.shmMiB = 128;
    SipRouter router(statefulScript(uasPort, 1), o);
    ASSERT_TRUE(router.start()) << router.log();
    OspreyProcess& osp = router.process();
    const std::string uasAddr = "127.0.0.1:" + std::to_string(uasPort);
    const std::string target = "127.0.0.1:" + std::to_string(router.port());

    Spawned uas(osp.dir().file("uas.out"), {load, "uas", "-l", uasAddr, "-d", "60"});
    ASSERT_TRUE(uas.started());
    ASSERT_TRUE(pollUntil(
        [&] {
            const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(uasPort);
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            const bool taken = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0;
            close(fd);
            return taken;
        },
        5000, 10));

    // ~2,000 calls/s for 6 s (INVITE, 100, 180, 200, ACK, BYE, 200 each, through tm); a third
    // of that under AddressSanitizer, where osprey runs about three times slower.
    const int rate = static_cast<int>(2000 / timeScale());
    Spawned uac(osp.dir().file("uac.out"),
                {load, "uac", "-t", target, "-s", "invite", "-r", std::to_string(rate), "-w", "400",
                 "-d", "6", "-T", "4000"});
    ASSERT_TRUE(uac.started());
    // Reload twice mid-run, each once the previous generation is everywhere. The pause places
    // the reload inside the run (the load lasts 6 s); nothing waits on it for synchronisation.
    const size_t luaProcesses = osp.countInLog("lua: running script generation 1\n");
    ASSERT_GE(luaProcesses, 3u) << osp.log();  // two SIP workers and the timer process
    for (int gen = 2; gen <= 3; ++gen) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        const size_t from = osp.log().size();
        osp.dir().write("route.lua", statefulScript(uasPort, gen));
        ASSERT_TRUE(osp.signal(SIGHUP));
        const std::string line = "lua: switched to script generation " + std::to_string(gen) + " ";
        // Both SIP workers and the timer process.
        EXPECT_TRUE(pollUntil(
            [&] {
                const std::string log = osp.log();
                size_t n = 0;
                for (size_t p = log.find(line, from); p != std::string::npos;
                     p = log.find(line, p + 1))
                    ++n;
                return n >= luaProcesses;
            },
            scaledMs(3000), 10))
            << osp.log().substr(from);
    }
    ASSERT_EQ(uac.wait(30000), 0) << uac.output();
    const std::string out = uac.output();
    ASSERT_NE(out.find("RESULT"), std::string::npos) << out;
    std::printf("%s", out.substr(out.find("RESULT")).c_str());  // the run, for the record
    EXPECT_GE(resultField(out, "sent"), static_cast<uint64_t>(rate) * 4) << out;  // it ran
    EXPECT_EQ(resultField(out, "fail"), 0u) << out;
    EXPECT_EQ(resultField(out, "timeout"), 0u) << out;
    EXPECT_EQ(resultField(out, "ok"), resultField(out, "sent")) << out;
    EXPECT_EQ(osp.countInLog("lua: error"), 0u);
}

}  // namespace
}  // namespace osprey::testsupport
