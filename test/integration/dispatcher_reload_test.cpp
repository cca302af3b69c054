// dispatcher: keepalives (a stopped gateway goes inactive and comes back), reloads from the
// list file and from SQLite while calls run (no failed call, no shm growth), and lists with
// errors refused with file:line while the old list keeps serving.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/db/sqlite_conn.h"
#include "test/integration/dispatcher_test_util.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

int64_t shmUsed(OspreyProcess& p) {
    const rpc::Value doc = ctlCall(p, "core.shmmem");
    const rpc::Value* res = doc.isStruct() ? doc.find("result") : nullptr;
    const rpc::Value* used = res != nullptr ? res->find("real_used") : nullptr;
    return used != nullptr ? used->asInt() : -1;
}

// tm.stats' count of transactions refused for lack of shm.
int64_t tmNoShm(OspreyProcess& p) {
    const rpc::Value doc = ctlCall(p, "tm.stats");
    const rpc::Value* res = doc.isStruct() ? doc.find("result") : nullptr;
    const rpc::Value* n = res != nullptr ? res->find("no_shm") : nullptr;
    return n != nullptr ? n->asInt() : -1;
}

// Calls in a loop from `threads` UACs until stopped, each UAC at most one call per kPeriod;
// counts the answers by class.
//
// Why paced: every answered INVITE keeps its transaction in shm for tm's wt_timer (5 s) at
// about 2,000 bytes (tm.stats shm_bytes 1,855 per call, plus the allocator's headers). An
// unpaced loop makes some 30,000 calls a second on loopback, so the router's 32 MiB were full
// after about half a second of calls, whatever the reloads did; how long the calls ran
// depended on how fast the machine got through the reloads. At 2 x 250 calls a second the
// transactions of the last 5 s take at most 5 million bytes, however long the test runs.
class CallLoad {
public:
    static constexpr std::chrono::milliseconds kPeriod{4};

    CallLoad(uint16_t port, unsigned threads) {
        for (unsigned i = 0; i < threads; ++i) {
            workers_.emplace_back([this, port] {
                SipPeer uac;
                auto next = Clock::now();
                while (!stop_) {
                    const int st = call(uac, port, "X-Alg: 4\r\n", 3000);
                    (st == 200 ? ok_ : failed_)++;
                    if (st != 200) lastFailure_ = st;
                    // Rate pacing, not synchronisation; a late call is not made up for.
                    next = std::max(next + kPeriod, Clock::now());
                    std::this_thread::sleep_until(next);
                }
            });
        }
    }
    ~CallLoad() { stop(); }
    void stop() {
        stop_ = true;
        for (std::thread& t : workers_) t.join();
        workers_.clear();
    }
    int ok() const { return ok_; }
    int failed() const { return failed_; }
    int lastFailure() const { return lastFailure_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> ok_{0}, failed_{0}, lastFailure_{0};
    std::vector<std::thread> workers_;
};

// Requests that make a worker reload (KSR.dispatcher.ds_reload()) in a loop until stopped;
// counts the reloads that succeeded and those refused.
class ScriptReloads {
public:
    explicit ScriptReloads(uint16_t port)
        : thread_([this, port] {
              SipPeer peer;
              while (!stop_) {
                  SipRequest req;
                  req.ruri = "sip:reload@example.com";
                  req.extraHeaders = "X-Test: reload\r\n";
                  if (!peer.sendTo(buildRequest(peer, req), port)) break;
                  auto m = peer.receiveCall(req.callId, 3000);
                  if (m && m->reason() == "Reload 1") ++done_;
                  if (m && m->reason() == "Reload -1") ++refused_;
              }
          }) {}
    ~ScriptReloads() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int done() const { return done_; }
    int refused() const { return refused_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> done_{0}, refused_{0};
    std::thread thread_;
};

// Set 1: the three gateways (order by `prio`); set 9: 50 destinations nobody calls, so each
// list is big enough that a leak of 100 of them would show in shm.
std::string bigList(Gateway& a, Gateway& b, Gateway& c, int prio) {
    std::string s = "1 " + a.uri() + " 0 " + std::to_string(prio) + " duid=a\n1 " + b.uri() +
                    " 0 " + std::to_string(20 - prio) + " duid=b\n1 " + c.uri() + " 0 5\n";
    for (int i = 0; i < 50; ++i) {
        s += "9 sip:127.0.0." + std::to_string(i + 2) + ":5060;transport=udp 4 " +
             std::to_string(i) + " weight=2;duid=spare" + std::to_string(i) + "\n";
    }
    return s;
}

// Replaces the file at once (write a copy, rename it), as an operator's tool would: a reload
// running meanwhile reads the old or the new list, never half of one.
void replaceFile(TempDir& dir, const std::string& name, const std::string& content) {
    dir.write(name + ".new", content);
    ASSERT_EQ(std::rename(dir.file(name + ".new").c_str(), dir.file(name).c_str()), 0);
}

TEST(DispatcherProbe, AStoppedGatewayGoesInactiveAndComesBack) {
    Gateway a, b, c;
    TempDir dir;
    const std::string list =
        dir.write("dispatcher.list", "1 " + a.uri() + "\n1 " + b.uri() + "\n1 " + c.uri() + "\n");
    constexpr int kIntervalS = 1, kThreshold = 2;
    SipRouter r(kDispatcherScript,
                dispatcherOptions("list_file = \"" + list +
                                  "\"; ds_ping_interval = 1; ds_probing_mode = 1; "
                                  "ds_probing_threshold = 2; ds_inactive_threshold = 1; "
                                  "ds_ping_latency_stats = 1;"));
    ASSERT_TRUE(r.start()) << r.log();
    ASSERT_TRUE(pollUntil([&] { return c.options() >= 1; }, scaledMs(5000), 10)) << r.log();
    EXPECT_EQ(destFlags(r.process(), c.uri())[0], 'A');

    c.setMode(GwMode::Silent);
    const int before = c.options();
    // The first keepalive it leaves unanswered starts the count.
    ASSERT_TRUE(pollUntil([&] { return c.options() > before; }, scaledMs(5000), 5));
    const auto t0 = Clock::now();
    ASSERT_TRUE(pollUntil([&] { return destFlags(r.process(), c.uri())[0] == 'I'; },
                          scaledMs(kThreshold * kIntervalS * 1000 + 1500), 20))
        << destFlags(r.process(), c.uri()) << r.log();
    const auto inactiveMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    // Inactive after threshold x interval (the first unanswered keepalive times out within
    // the interval too).
    EXPECT_LE(inactiveMs, scaledMs(kThreshold * kIntervalS * 1000 + 500));
    EXPECT_EQ(destFlags(r.process(), c.uri()), "IP");
    // Calls avoid it now.
    SipPeer uac;
    const int cBefore = c.requests();
    ASSERT_TRUE(sendStateless(uac, r.port(), 30, "X-Alg: 4\r\n",
                              [&] { return a.requests() + b.requests(); }));
    EXPECT_EQ(c.requests(), cBefore);

    c.setMode(GwMode::Ok);
    ASSERT_TRUE(pollUntil([&] { return destFlags(r.process(), c.uri())[0] == 'A'; },
                          scaledMs(3 * kIntervalS * 1000), 20))
        << destFlags(r.process(), c.uri());

    // Latency statistics of the keepalives.
    const rpc::Value doc = ctlCall(r.process(), "dispatcher.list");
    const rpc::Value& dest = *doc.find("result")
                                  ->find("RECORDS")
                                  ->items()[0]
                                  .find("SET")
                                  ->find("TARGETS")
                                  ->items()[0]
                                  .find("DEST");
    ASSERT_TRUE(dest.find("LATENCY") != nullptr);
    EXPECT_GT(dest.find("LATENCY")->find("AVG")->asDouble(), 0.0);
    EXPECT_EQ(dest.find("LATENCY")->find("TIMEOUT")->asInt(), 0);
}

TEST(DispatcherReload, FromFileWhileCallsRunNoFailedCallNoShmGrowth) {
    constexpr std::chrono::milliseconds kMinPhase{1000};
    Gateway a, b, c;
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", bigList(a, b, c, 10));
    SipRouter r(kDispatcherScript,
                dispatcherOptions("list_file = \"" + list + "\"; flags = 2;", 2));
    ASSERT_TRUE(r.start()) << r.log();
    CallLoad load(r.port(), 2);
    ASSERT_TRUE(pollUntil([&] { return load.ok() >= 20; }, scaledMs(5000), 5));
    for (int i = 0; i < 10; ++i) {  // warm up every cache the reload path touches
        replaceFile(dir, "dispatcher.list", bigList(a, b, c, i % 2 == 0 ? 15 : 10));
        ASSERT_TRUE(ctlCall(r.process(), "dispatcher.reload").find("result") != nullptr);
    }
    const int64_t before = shmUsed(r.process());
    ASSERT_GT(before, 0);
    // Workers reload too (KSR.dispatcher.ds_reload()), at the same time as the RPC ones.
    const int okBefore = load.ok();
    const auto phaseStart = Clock::now();
    ScriptReloads scriptReloads(r.port());
    for (int i = 0; i < 100; ++i) {
        replaceFile(dir, "dispatcher.list", bigList(a, b, c, i % 2 == 0 ? 15 : 10));
        const rpc::Value v = ctlCall(r.process(), "dispatcher.reload");
        ASSERT_TRUE(v.find("result") != nullptr) << r.log();
        EXPECT_EQ(v.find("result")->asString(), "Ok. Dispatcher successfully reloaded.");
    }
    // The workers' reloads go on until at least 40 calls ran while lists were replaced, and
    // for a second at least: twice as long as an unpaced load took to fill shm with the
    // answered calls' transactions (see CallLoad), so a load that outgrows the segment fails
    // here on any machine, not only on a loaded one.
    pollUntil([&] { return load.ok() - okBefore > 40 && Clock::now() - phaseStart >= kMinPhase; },
              scaledMs(5000), 5);
    scriptReloads.stop();
    EXPECT_GT(scriptReloads.done(), 0);
    EXPECT_EQ(scriptReloads.refused(), 0) << r.log();
    const int callsDuring = load.ok() - okBefore;
    load.stop();
    EXPECT_EQ(load.failed(), 0) << "last failure " << load.lastFailure();
    EXPECT_GT(callsDuring, 40);
    EXPECT_EQ(tmNoShm(r.process()), 0) << r.log();
    // Transactions that held a replaced list end (wait timer); then every replaced list is
    // freed. A leak of the 100 would be far more than the tolerance (each list is ~20 KiB).
    int64_t after = 0;
    pollUntil(
        [&] {
            after = shmUsed(r.process());
            return after <= before + 256 * 1024;
        },
        scaledMs(15000), 200);
    EXPECT_LE(after, before + 256 * 1024) << "before " << before << " after " << after;
}

TEST(DispatcherReload, AListWithErrorsIsRefusedWithFileAndLineAndTheOldOneServes) {
    Gateway a, b, c;
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", bigList(a, b, c, 10));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    dir.write("dispatcher.list", "1 " + a.uri() + "\n# comment\n1 " + b.uri() + " 0x8 zz\n");
    const rpc::Value v = ctlCall(r.process(), "dispatcher.reload");
    ASSERT_TRUE(v.find("error") != nullptr);
    EXPECT_NE(v.find("error")->find("message")->asString().find(list + ":3: priority 'zz'"),
              std::string::npos)
        << v.find("error")->find("message")->asString();
    dir.write("dispatcher.list", "1 sip:[::1 0\n");
    const rpc::Value v2 = ctlCall(r.process(), "dispatcher.reload");
    ASSERT_TRUE(v2.find("error") != nullptr);
    EXPECT_NE(v2.find("error")->find("message")->asString().find(list + ":1: bad destination"),
              std::string::npos);
    // The old list serves: all three gateways and set 9 still listed; calls still go.
    EXPECT_EQ(destFlags(r.process(), c.uri()), "AX");
    SipPeer uac;
    EXPECT_EQ(call(uac, r.port(), "X-Alg: 4\r\n"), 200);
}

TEST(DispatcherReload, AStartWithABadListStopsWithFileAndLine) {
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", "1 sip:127.0.0.1:5070\nx sip:a\n");
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    EXPECT_FALSE(r.start());
    EXPECT_NE(r.log().find(list + ":2: set id 'x' is not a number"), std::string::npos) << r.log();
}

TEST(DispatcherReload, FromSqliteWhileCallsRun) {
    Gateway a, b, c;
    TempDir dir;
    const std::string url = "sqlite://" + dir.file("ds.db");
    db::SqliteConn conn;
    std::string err;
    ASSERT_TRUE(conn.open(url, db::OpenOptions{}, &err)) << err;
    ASSERT_TRUE(
        conn.exec("CREATE TABLE dispatcher (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                  "setid INTEGER NOT NULL DEFAULT 0, destination VARCHAR(192) NOT NULL "
                  "DEFAULT '', flags INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT "
                  "NULL DEFAULT 0, attrs VARCHAR(198) NOT NULL DEFAULT '', description "
                  "VARCHAR(64) NOT NULL DEFAULT '')",
                  &err))
        << err;
    auto insert = [&](int set, const std::string& uri, int prio, const std::string& attrs) {
        ASSERT_TRUE(
            conn.exec("INSERT INTO dispatcher (setid, destination, flags, priority, "
                      "attrs, description) VALUES (" +
                          std::to_string(set) + ", '" + uri + "', 0, " + std::to_string(prio) +
                          ", '" + attrs + "', 'gw')",
                      &err))
            << err;
    };
    insert(1, a.uri(), 3, "weight=50");
    insert(1, b.uri(), 2, "");
    SipRouter r(kDispatcherScript, dispatcherOptions("db_url = \"" + url + "\"; flags = 2;", 2));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_EQ(destFlags(r.process(), a.uri()), "AX");
    EXPECT_EQ(destFlags(r.process(), c.uri()), "");
    CallLoad load(r.port(), 2);
    insert(1, c.uri(), 1, "duid=c");
    for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE(ctlCall(r.process(), "dispatcher.reload").find("result") != nullptr) << r.log();
    }
    EXPECT_EQ(destFlags(r.process(), c.uri()), "AX");
    ASSERT_TRUE(pollUntil([&] { return c.invites() > 0; }, scaledMs(5000), 10));
    // A row with errors is refused with its id; the list stays.
    ASSERT_TRUE(
        conn.exec("INSERT INTO dispatcher (setid, destination) VALUES (2, 'nonsense')", &err));
    const rpc::Value v = ctlCall(r.process(), "dispatcher.reload");
    ASSERT_TRUE(v.find("error") != nullptr);
    EXPECT_NE(v.find("error")->find("message")->asString().find("dispatcher table row id 4"),
              std::string::npos)
        << v.find("error")->find("message")->asString();
    load.stop();
    EXPECT_EQ(load.failed(), 0) << "last failure " << load.lastFailure();
    EXPECT_GT(load.ok(), 0);
}

}  // namespace
}  // namespace osprey::testsupport
