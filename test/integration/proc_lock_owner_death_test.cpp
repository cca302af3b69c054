// A SIP worker killed (SIGKILL) while it holds a lock, under a steady load of calls and
// registrations, for each lock a worker can die in (docs/locks.md): a tm bucket lock (half way
// through linking a transaction), a tm transaction lock, a usrloc slot lock (a record inserted,
// its contact not yet) and the shm allocator lock. The test hook OSPREY_TEST_DIE_IN
// (mem/lock/test_die.h) picks the moment. Every other call and registration completes, the next
// taker of the lock logs its recovery, the master restarts the worker, the server still answers
// new requests at once, and the allocator's own check finds the shm heap consistent afterwards
// (run under `make MEMMNG=qm MEMDBG=1` that is the debug allocator's walk of every fragment).
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/integration/tm_test_util.h"
#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned kWorkers = 4;
constexpr unsigned kClients = 4;           // concurrent UACs, each one call at a time
constexpr unsigned kCallsAfterDeath = 12;  // per client, once the worker is dead
constexpr int kMaxLoadMs = 40000;          // bound for the worker to reach the die point
constexpr int kCallTimeoutMs = 8000;       // a call's bound, retransmissions included

std::string script(uint16_t uasPort) {
    return relayScript("127.0.0.1:" + std::to_string(uasPort), kSaveRegister);
}

SipRouterOptions options() {
    SipRouterOptions o;
    o.children = kWorkers;
    o.modules =
        "{ name = \"sl\"; }, { name = \"tm\"; params = { fr_timer = 4000; fr_inv_timer = 6000; "
        "wt_timer = 1000; }; }, { name = \"usrloc\"; }, { name = \"registrar\"; }";
    return o;
}

// Answers every request but ACK with 200, until stopped (retransmissions too, as the
// transaction layer of a UAS would resend its answer).
class AnsweringUas {
public:
    AnsweringUas() : thread_([this] { run(); }) {}
    ~AnsweringUas() {
        stop_ = true;
        thread_.join();
    }
    uint16_t port() const { return peer_.port(); }

private:
    void run() {
        while (!stop_) {
            auto m = peer_.receiveMsg(50);
            if (!m || !m->parsed() || !m->isRequest() || m->method() == "ACK") continue;
            peer_.sendBack(buildResponse(*m, 200, "OK"), *m);
        }
    }
    SipPeer peer_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Sends a request and retransmits it every 500 ms (RFC 3261 timer A / E with T1 = 500 ms,
// without the doubling) until a final response comes; its status, 0 when none came in time.
int transact(SipPeer& uac, uint16_t port, SipRequest& r) {
    const std::string text = buildRequest(uac, r);
    const auto deadline = Clock::now() + std::chrono::milliseconds(kCallTimeoutMs);
    while (Clock::now() < deadline) {
        if (!uac.sendTo(text, port)) return 0;
        const auto resendAt = Clock::now() + std::chrono::milliseconds(500);
        while (Clock::now() < resendAt) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(resendAt - Clock::now())
                    .count();
            auto m = uac.receiveCall(r.callId, static_cast<int>(std::max<long>(left, 1)));
            if (m && !m->isRequest() && m->status() >= 200) return m->status();
        }
    }
    return 0;
}

struct Outcome {
    std::atomic<unsigned> ok{0};
    std::atomic<unsigned> failed{0};
    void count(int status) { (status == 200 ? ok : failed).fetch_add(1); }
};

// One UA: registers a fresh AOR, then calls through the router, in a loop.
class LoadClient {
public:
    LoadClient(unsigned id, uint16_t routerPort, Outcome& regs, Outcome& calls)
        : id_(id), port_(routerPort), regs_(regs), calls_(calls) {}

    void oneRound(unsigned round) {
        const std::string user =
            "u" + std::to_string(id_) + "-" + std::to_string(round) + "-" + uniqueToken("");
        SipRequest reg;
        reg.method = "REGISTER";
        reg.ruri = "sip:example.com";
        reg.to = "<sip:" + user + "@example.com>";
        reg.from = reg.to;
        reg.extraHeaders =
            "Contact: <sip:" + user + "@" + uac_.hostPort() + ">\r\nExpires: 300\r\n";
        regs_.count(transact(uac_, port_, reg));

        SipRequest inv;
        inv.method = "INVITE";
        inv.ruri = "sip:" + user + "@example.com";
        calls_.count(transact(uac_, port_, inv));
    }

private:
    unsigned id_;
    uint16_t port_;
    Outcome& regs_;
    Outcome& calls_;
    SipPeer uac_;
};

// Runs the load until the hook's victim died, then kCallsAfterDeath more rounds per client.
struct LoadResult {
    bool died = false;
    unsigned rounds = 0;
};

LoadResult runLoad(SipRouter& router, Outcome& regs, Outcome& calls) {
    std::atomic<bool> died{false};
    std::atomic<unsigned> rounds{0};
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            LoadClient ua(i, router.port(), regs, calls);
            const auto giveUpAt = Clock::now() + std::chrono::milliseconds(kMaxLoadMs);
            unsigned after = 0;
            for (unsigned r = 0; after < kCallsAfterDeath && Clock::now() < giveUpAt; ++r) {
                ua.oneRound(r);
                rounds.fetch_add(1);
                if (died) ++after;
            }
        });
    }
    // The victim says so in the log just before it dies.
    const bool seen = pollUntil(
        [&] { return router.process().countInLog("test hook: process") > 0; }, kMaxLoadMs, 20);
    died = seen;
    for (auto& t : threads) t.join();
    return {seen, rounds.load()};
}

void expectLockDeathSurvived(const char* site, const char* recoveryLine) {
    AnsweringUas uas;
    SipRouter router(script(uas.port()), options());
    setenv("OSPREY_TEST_DIE_IN", site, 1);
    const bool started = router.start();
    unsetenv("OSPREY_TEST_DIE_IN");
    ASSERT_TRUE(started) << router.log();
    const size_t processes = router.workerPids().size();

    Outcome regs, calls;
    const LoadResult load = runLoad(router, regs, calls);
    ASSERT_TRUE(load.died) << "no worker reached the die point of " << site << "\n" << router.log();
    OspreyProcess& osp = router.process();

    // The next taker of the lock noticed the death and repaired what the lock protects.
    EXPECT_NE(osp.waitForLog(recoveryLine, 10000), std::string::npos)
        << "no recovery line '" << recoveryLine << "'\n"
        << osp.log();
    EXPECT_EQ(osp.countInLog(recoveryLine), 1u) << osp.log();
    // The master restarted the worker.
    EXPECT_NE(osp.waitForLog("restarting sip", 10000), std::string::npos) << osp.log();
    EXPECT_TRUE(pollUntil([&] { return router.workerPids().size() == processes; }, 10000))
        << osp.log();

    // Every other call and registration completed; at most the one the victim was handling
    // did not (with tm_cell its retransmission gets the 500 that ends the damaged transaction).
    const unsigned total = regs.ok + regs.failed + calls.ok + calls.failed;
    EXPECT_GE(total, 2 * kClients * kCallsAfterDeath);
    EXPECT_LE(regs.failed + calls.failed, 1u)
        << "registrations " << regs.ok << " ok / " << regs.failed << " failed, calls " << calls.ok
        << " ok / " << calls.failed << " failed\n"
        << osp.log();

    // The server still serves: new registrations and calls, from new UAs, answered in time.
    Outcome after, afterRegs;
    for (unsigned i = 0; i < 2 * kWorkers; ++i) {
        LoadClient fresh(100 + i, router.port(), afterRegs, after);
        fresh.oneRound(0);
    }
    EXPECT_EQ(after.ok.load(), 2 * kWorkers) << osp.log();
    EXPECT_EQ(afterRegs.ok.load(), 2 * kWorkers) << osp.log();

    // No process hangs: on SIGUSR1 the master runs the allocator's own consistency walk and
    // passes the signal on; every child, from its own event loop (which a process stuck on a
    // lock never reaches), logs its heap counters.
    const size_t mark = osp.log().size();
    const std::vector<int> children = router.workerPids();
    ASSERT_TRUE(osp.signal(SIGUSR1));
    EXPECT_NE(osp.waitForLog("shm: heap check: consistent", 10000, mark), std::string::npos)
        << osp.log();
    EXPECT_EQ(osp.countInLog("CORRUPT"), 0u) << osp.log();
    for (int pid : children) {
        EXPECT_NE(osp.waitForLog("[" + std::to_string(pid) + "]: shm: total ", 10000, mark),
                  std::string::npos)
            << "pid " << pid << " did not answer SIGUSR1\n"
            << osp.log();
    }
    EXPECT_EQ(osp.stop(10000), 0) << osp.log();
}

TEST(ProcLockOwnerDeath, WorkerKilledHalfWayThroughLinkingATransaction) {
    expectLockDeathSurvived("tm_bucket:10", "tm: recovered bucket");
}

TEST(ProcLockOwnerDeath, WorkerKilledHoldingATransactionLock) {
    expectLockDeathSurvived("tm_cell:20", "tm: recovered transaction");
}

TEST(ProcLockOwnerDeath, WorkerKilledHoldingAUsrlocSlotLock) {
    expectLockDeathSurvived("usrloc_slot:10", "usrloc: recovered slot");
}

TEST(ProcLockOwnerDeath, WorkerKilledHoldingTheShmAllocatorLock) {
    expectLockDeathSurvived("shm_alloc:10", "shm: recovered the allocator lock");
}

}  // namespace
}  // namespace osprey::testsupport
