// Write-through under fire: several UDP senders register 1,000 different AORs through the real
// osprey (usrloc db_mode 1) while the test kill -9s every osprey process (master and children)
// at a random moment; osprey is restarted on the same SQLite file and the senders go on with
// the AORs not yet answered. Every AOR that got a 200 OK before a kill must be in the database
// afterwards, and reachable through the restarted router. The moments are chosen by counting
// 200 OKs (no sleeps); the seed is printed (OSPREY_TEST_SEED=<n> repeats a run).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test/integration/registrar_test_util.h"
#include "test/support/proc_info.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

constexpr int kAors = 1000;
constexpr int kSenders = 4;
constexpr int kWindow = 8;  // REGISTERs each sender keeps outstanding
constexpr int kKills = 4;

std::set<std::string> aorsInDatabase(const std::string& db) {
    std::set<std::string> out;
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 2000);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(h, "SELECT aor FROM location", -1, &st, nullptr) == SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW)
                out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return out;
}

// What the senders share with the test: the AORs still to register, and those answered 200.
struct Ledger {
    std::mutex m;
    std::vector<std::string> todo;
    std::set<std::string> answered;
    std::atomic<int> answeredThisRound{0};
    // Senders take no new AOR once this round has this many answers: the kill then lands
    // before the round's share is used up even when the test's thread gets no CPU for a
    // while (on a loaded machine the senders and the router once answered all 1,000 AORs
    // before the thread that kills saw the count).
    std::atomic<int> pauseAfter{INT_MAX};
    std::atomic<bool> stop{false};

    bool take(std::string* aor) {
        std::lock_guard<std::mutex> g(m);
        if (todo.empty()) return false;
        *aor = std::move(todo.back());
        todo.pop_back();
        return true;
    }
    void giveBack(const std::string& aor) {
        std::lock_guard<std::mutex> g(m);
        todo.push_back(aor);
    }
    void ok(const std::string& aor) {
        std::lock_guard<std::mutex> g(m);
        answered.insert(aor);
        answeredThisRound.fetch_add(1);
    }
    size_t left() {
        std::lock_guard<std::mutex> g(m);
        return todo.size();
    }
};

// The Call-ID carries the AOR ("<aor>/<round>"), so a reply says whose it is.
std::string aorOfCallId(const std::string& callId) {
    return callId.substr(0, callId.find('/'));
}

// One sender: up to kWindow REGISTERs outstanding, each for another AOR; a 200 OK is recorded,
// anything else (or silence once the router is gone) puts the AOR back for the next round.
void sender(Ledger& l, uint16_t port, int round) {
    SipPeer uac;
    std::set<std::string> outstanding;
    int idle = 0;
    for (;;) {
        while (!l.stop.load() && outstanding.size() < kWindow &&
               l.answeredThisRound.load() < l.pauseAfter.load()) {
            std::string aor;
            if (!l.take(&aor)) break;
            SipRequest req;
            req.method = "REGISTER";
            req.ruri = "sip:example.com";
            req.to = "<sip:" + aor + "@example.com>";
            req.from = req.to + ";tag=t" + std::to_string(round);
            req.callId = aor + "/" + std::to_string(round);
            req.extraHeaders = "Contact: <sip:" + aor + "@192.0.2.50>\r\nExpires: 3600\r\n";
            if (!uac.sendTo(buildRequest(uac, req), port)) {
                l.giveBack(aor);
                break;
            }
            outstanding.insert(aor);
        }
        if (outstanding.empty()) return;
        // After a kill, every reply the router sent is already queued on our socket (loopback
        // delivers in sendto): read them all without waiting, then give the rest back. A
        // router that stays silent for 2 s while alive ends this sender's round too.
        const bool stopping = l.stop.load();
        auto resp = uac.receiveMsg(stopping ? 0 : 50);
        if (!resp) {
            if (!stopping && ++idle < 40) continue;
            for (const std::string& aor : outstanding) l.giveBack(aor);
            return;
        }
        idle = 0;
        const std::string aor = aorOfCallId(resp->header("Call-ID"));
        if (outstanding.erase(aor) == 0) continue;
        if (resp->status() == 200)
            l.ok(aor);
        else
            l.giveBack(aor);
    }
}

// kill -9 of every osprey process: the master first (so it restarts nobody), then each child.
void killWholeTree(RegRouter& r) {
    std::vector<int> pids = r.process().childPids();
    pids.insert(pids.begin(), r.process().pid());
    for (int pid : pids) kill(pid, SIGKILL);
    int status = 0;
    ASSERT_TRUE(r.process().waitExit(5000, &status));
    ASSERT_TRUE(WIFSIGNALED(status));
    r.process().killLeftovers();
    for (int pid : pids) EXPECT_TRUE(pollUntil([pid] { return !processAlive(pid); }, 2000));
}

// N of the start-up line "usrloc: loaded N bindings into location"; -1 when absent.
long loadedBindings(RegRouter& r) {
    const std::string needle = "usrloc: loaded ";
    if (r.process().waitForLog(needle) == std::string::npos) return -1;
    const std::string log = r.log();
    return std::strtol(log.c_str() + log.find(needle) + needle.size(), nullptr, 10);
}

RegRouterOptions writeThrough(const std::string& db) {
    RegRouterOptions o;
    o.usrlocParams = "db_mode = 1; db_url = \"sqlite://" + db + "\";";
    o.logLevel = "notice";
    o.children = 3;
    return o;
}

TEST(RegistrarCrash, EveryAnsweredBindingSurvivesKillsAtRandomMoments) {
    const char* env = std::getenv("OSPREY_TEST_SEED");
    const unsigned seed = env != nullptr ? static_cast<unsigned>(std::strtoul(env, nullptr, 10))
                                         : static_cast<unsigned>(std::random_device{}());
    std::printf("seed %u (OSPREY_TEST_SEED=%u repeats this run)\n", seed, seed);
    RecordProperty("seed", std::to_string(seed));
    std::mt19937 rng(seed);

    TempDir dir;
    const std::string db = dir.file("ul.db");
    Ledger l;
    for (int i = 0; i < kAors; ++i) l.todo.push_back("u" + std::to_string(i));
    std::shuffle(l.todo.begin(), l.todo.end(), rng);

    int kills = 0;
    for (int round = 0; round < kKills + 3 && l.left() != 0; ++round) {
        RegRouter r(writeThrough(db));
        ASSERT_TRUE(r.start()) << r.log();
        // After a restart on the file: every binding answered so far is loaded.
        EXPECT_GE(loadedBindings(r), static_cast<long>(l.answered.size())) << r.log();
        l.stop = false;
        l.answeredThisRound = 0;
        const bool killThisRound = kills < kKills;
        // Somewhere inside this round's share of the AORs, so the kill lands mid-stream.
        const int share = static_cast<int>(l.left()) / (kKills - kills + 1);
        const int killAfter = std::uniform_int_distribution<int>(1, std::max(1, share))(rng);
        l.pauseAfter = killThisRound ? killAfter : INT_MAX;
        std::vector<std::thread> senders;
        for (int i = 0; i < kSenders; ++i)
            senders.emplace_back(sender, std::ref(l), r.port(), round);
        if (killThisRound) {
            const bool reached = pollUntil(
                [&] { return l.answeredThisRound.load() >= killAfter || l.left() == 0; }, 20000, 1);
            killWholeTree(r);
            ++kills;
            l.stop = true;
            EXPECT_TRUE(reached) << "no progress before kill " << kills << "\n" << r.log();
        }
        for (std::thread& t : senders) t.join();
        l.stop = true;
        // The whole promise: what was answered 200 is in the file.
        const std::set<std::string> stored = aorsInDatabase(db);
        std::vector<std::string> missing;
        {
            std::lock_guard<std::mutex> g(l.m);
            for (const std::string& aor : l.answered)
                if (stored.count(aor) == 0) missing.push_back(aor);
        }
        ASSERT_TRUE(missing.empty())
            << missing.size() << " answered bindings lost, e.g. " << missing.front() << " (round "
            << round << ", seed " << seed << ")";
        std::printf("round %d: %s after %d answers, %zu answered so far, %zu stored\n", round,
                    killThisRound ? "killed" : "no kill", l.answeredThisRound.load(),
                    l.answered.size(), stored.size());
    }
    EXPECT_EQ(kills, kKills);
    ASSERT_EQ(l.answered.size(), static_cast<size_t>(kAors)) << "seed " << seed;

    // A last restart: every binding is loaded and routes.
    RegRouter r(writeThrough(db));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("usrloc: loaded " + std::to_string(kAors) +
                                     " bindings into location"),
              std::string::npos)
        << r.log();
    std::vector<std::string> sample(l.answered.begin(), l.answered.end());
    std::shuffle(sample.begin(), sample.end(), rng);
    sample.resize(20);
    for (const std::string& aor : sample) {
        auto resp = Registration(r, aor).send("");
        ASSERT_EQ(resp->status(), 200) << aor << "\n" << r.log();
        auto c = resp->headers("Contact");
        ASSERT_EQ(c.size(), 1u) << aor << "\n" << resp->text();
        EXPECT_NE(c[0].find("<sip:" + aor + "@192.0.2.50>"), std::string::npos) << c[0];
    }
}

}  // namespace
}  // namespace osprey::testsupport
