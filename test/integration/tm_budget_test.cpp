// tm's shm budget (modules/tm/budget.h) against the real osprey: a flood of requests the
// callee never answers gets 503 with Retry-After once max_transactions or max_shm_percent is
// reached, counted in tm:budget_refused (tm.stats, /metrics); the transactions already there
// go on (a retransmission is absorbed, a CANCEL matched), other shm users (a REGISTER) still
// succeed, the segment never runs out, and once the transactions end new requests are relayed
// again.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test/integration/tm_test_util.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

// REGISTER saved; CANCEL and ACK matched; everything else relayed statefully to the UAS.
std::string budgetScript(const SipPeer& uas) {
    return relayScript(uas.hostPort(), kSaveRegister);
}

// One worker, so the budget check sees every creation in order (no overshoot by a second
// worker passing the check at the same moment): the counts below are exact.
SipRouterOptions budgetOptions(const std::string& tmParams) {
    SipRouterOptions o = tmRouterOptions(tmParams, 1, true);
    o.controlSocket = true;
    o.rpcHttp = true;
    return o;
}

struct FloodResult {
    std::map<std::string, int> status;  // Call-ID -> the last status the UAC got
    int refused = 0;                    // 503s with the Retry-After asked for
    int badRetryAfter = 0;              // 503s without it
};

// Sends n requests of `method` with distinct Call-IDs (in steps, draining the answers, so no
// socket buffer overflows) and collects the answers until none comes for 300 ms.
FloodResult flood(SipPeer& uac, uint16_t port, const std::string& method, int n,
                  const std::string& pad, const std::string& retryAfter,
                  std::vector<SipRequest>* sent = nullptr) {
    FloodResult r;
    auto collect = [&](int waitMs) {
        while (auto m = uac.receiveMsg(waitMs)) {
            if (m->isRequest()) continue;
            r.status[m->header("Call-ID")] = m->status();
            if (m->status() == 503) {
                if (m->header("Retry-After") == retryAfter) {
                    ++r.refused;
                } else {
                    ++r.badRetryAfter;
                }
            }
        }
    };
    for (int i = 0; i < n; ++i) {
        SipRequest q;
        q.method = method;
        q.ruri = "sip:bob@example.com";
        q.extraHeaders = pad;
        EXPECT_TRUE(uac.sendTo(buildRequest(uac, q), port));
        if (sent != nullptr) sent->push_back(q);
        if (i % 25 == 24) collect(5);
    }
    collect(300);
    return r;
}

// The Call-IDs among `sent` that reached the UAS (each once, retransmissions aside), reading
// until nothing comes for 300 ms.
std::set<std::string> reachedUas(SipPeer& uas) {
    std::set<std::string> ids;
    while (auto m = uas.receiveMsg(300)) {
        if (m->isRequest()) ids.insert(m->header("Call-ID"));
    }
    return ids;
}

int64_t tmStat(OspreyProcess& p, const char* field) {
    const rpc::Value doc = ctlCall(p, "tm.stats");
    const rpc::Value* res = doc.isStruct() ? doc.find("result") : nullptr;
    const rpc::Value* v = res != nullptr && res->isStruct() ? res->find(field) : nullptr;
    return v != nullptr ? v->asInt() : -1;
}

bool registerOk(SipPeer& ua, uint16_t port, const std::string& user) {
    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:example.com";
    reg.to = "<sip:" + user + "@example.com>";
    reg.from = "<sip:" + user + "@example.com>;tag=" + uniqueToken("t");
    reg.extraHeaders = "Contact: <sip:" + user + "@" + ua.hostPort() + ">\r\nExpires: 600\r\n";
    if (!ua.sendTo(buildRequest(ua, reg), port)) return false;
    auto resp = waitFor(ua, reg.callId, isFinal());
    return resp && resp->status() == 200;
}

// Waits (polling tm's counters) until every transaction has ended and been freed, then
// expects a new request to be relayed to the UAS.
void expectRelayedOnceAllEnded(SipRouter& router, SipPeer& uac, SipPeer& uas,
                               const std::string& method, const std::string& pad) {
    StatsReader stats;
    const StatsReader::Values v = stats.waitFor(
        router.process(),
        [](const StatsReader::Values& v) {
            return StatsReader::get(v, "tmx:inuse_transactions") == 0;
        },
        20000);
    EXPECT_EQ(StatsReader::get(v, "tmx:inuse_transactions"), 0) << "transactions leaked";
    EXPECT_EQ(tmStat(router.process(), "shm_bytes"), 0);
    while (uac.receiveMsg(1)) {
    }
    SipRequest later;
    later.method = method;
    later.ruri = "sip:bob@example.com";
    later.extraHeaders = pad;
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, later), router.port()));
    EXPECT_TRUE(uas.receiveCall(later.callId, 3000)) << router.log();
}

TEST(TmBudget, MaxTransactionsAnswers503AndExistingOnesGoOn) {
    SipPeer uac, uas, ua;  // the UAS never answers
    // INVITEs end by fr_timer (408), then timer H (64*T1 = 1.28 s); retransmissions to the UAS
    // (timer A) no faster than every 20..1000 ms.
    SipRouter router(budgetScript(uas),
                     budgetOptions("max_transactions = 40; budget_retry_after = 7; "
                                   "fr_timer = 4000; retr_timer1 = 20; retr_timer2 = 1000;"));
    ASSERT_TRUE(router.start()) << router.log();

    std::vector<SipRequest> invites;
    const FloodResult r = flood(uac, router.port(), "INVITE", 200, "", "7", &invites);
    const std::set<std::string> relayed = reachedUas(uas);
    EXPECT_EQ(relayed.size(), 40u) << "exactly max_transactions relayed";
    EXPECT_EQ(r.refused, 160) << router.log();
    EXPECT_EQ(r.badRetryAfter, 0);
    for (const std::string& id : relayed) {
        EXPECT_EQ(r.status.at(id), 100) << "an admitted INVITE got 100 Trying, not 503";
    }

    // Existing transactions go on: a retransmission of an admitted INVITE is absorbed (its
    // 100 Trying again, not a 503), and its CANCEL is matched (200).
    const SipRequest& first = invites.front();
    ASSERT_TRUE(relayed.count(first.callId)) << "the first INVITE was admitted";
    SipRequest again = first;
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, again), router.port()));
    auto absorbed = waitFor(uac, first.callId, [](ReceivedMsg& m) { return !m.isRequest(); });
    ASSERT_TRUE(absorbed);
    EXPECT_EQ(absorbed->status(), 100);
    SipRequest cancel = cancelOf(first);
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, cancel), router.port()));
    auto canceled = waitFor(uac, first.callId, [](ReceivedMsg& m) {
        return !m.isRequest() && m.header("CSeq").find("CANCEL") != std::string::npos;
    });
    ASSERT_TRUE(canceled);
    EXPECT_EQ(canceled->status(), 200);

    // Other shm users are not affected.
    EXPECT_TRUE(registerOk(ua, router.port(), "carol")) << router.log();

    EXPECT_EQ(tmStat(router.process(), "budget_refused"), 160);
    EXPECT_EQ(tmStat(router.process(), "max_transactions"), 40);
    StatsReader stats;
    EXPECT_EQ(StatsReader::get(stats.read(router.process()), "tm:budget_refused"), 160);
    const std::string prom = fetchMetrics(router.httpPort());
    EXPECT_NE(prom.find("\nkamailio_tm_budget_refused 160\n"), std::string::npos) << prom;
    EXPECT_NE(router.process().waitForLog("tm: transaction budget reached (max_transactions"),
              std::string::npos);

    // Once they end (fr_timer, timer H) new calls are relayed again.
    expectRelayedOnceAllEnded(router, uac, uas, "INVITE", "");
    EXPECT_EQ(router.log().find("out of memory"), std::string::npos);
    EXPECT_EQ(router.log().find("out of shared memory"), std::string::npos);
    EXPECT_TRUE(router.process().running());
}

TEST(TmBudget, ShmShareAnswers503BeforeTheSegmentRunsOut) {
    SipPeer uac, uas, ua;
    // 2 % of the 16 MiB segment: about 80 OPTIONS of 2 KB (cell + branch about 4.3 KB each).
    SipRouter router(budgetScript(uas),
                     budgetOptions("max_shm_percent = 2; fr_timer = 3000; wt_timer = 100;"));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string pad = "X-Pad: " + std::string(1500, 'p') + "\r\n";

    const FloodResult r = flood(uac, router.port(), "OPTIONS", 400, pad, "5");
    const std::set<std::string> relayed = reachedUas(uas);
    const int64_t budget = tmStat(router.process(), "shm_budget");
    const int64_t held = tmStat(router.process(), "shm_bytes");
    EXPECT_GT(budget, int64_t{16} * 1024 * 1024 / 100) << "2 % of a 16 MiB segment";
    EXPECT_LT(budget, int64_t{16} * 1024 * 1024 * 3 / 100);
    EXPECT_GT(relayed.size(), 20u);
    EXPECT_LT(relayed.size(), 200u);
    EXPECT_EQ(static_cast<size_t>(r.refused) + relayed.size(), 400u);
    EXPECT_EQ(r.badRetryAfter, 0);
    // Past the budget by at most the transaction that passed the check last.
    EXPECT_GE(held, budget);
    EXPECT_LE(held, budget + 8192);
    EXPECT_EQ(tmStat(router.process(), "budget_refused"), r.refused);
    EXPECT_TRUE(registerOk(ua, router.port(), "dave")) << router.log();
    EXPECT_NE(router.process().waitForLog("tm: transaction budget reached (max_shm_percent"),
              std::string::npos);

    // fr_timer ends them (408) and wt_timer frees them: the budget is free again.
    expectRelayedOnceAllEnded(router, uac, uas, "OPTIONS", pad);
    EXPECT_EQ(router.log().find("out of memory"), std::string::npos);
    EXPECT_EQ(router.log().find("out of shared memory"), std::string::npos);
    EXPECT_TRUE(router.process().running());
}

TEST(TmBudget, NewtranPastTheBudgetGetsOne503AndNoSecondReply) {
    SipPeer uac;
    // Answered at once with t_reply; over UDP each then waits wt_timer (a minute here), so the
    // first three fill max_transactions.
    SipRouterOptions o = tmRouterOptions("max_transactions = 3; wt_timer = 60000;", 1);
    o.controlSocket = true;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.tm.t_newtran() < 0 then
        KSR.sl.sl_reply_error()
        return 1
    end
    KSR.tm.t_reply(200, "OK")
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    std::map<std::string, std::vector<int>> answers;
    for (int i = 0; i < 10; ++i) {
        SipRequest m;
        m.method = "MESSAGE";
        m.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, m), router.port()));
        auto r = waitFor(uac, m.callId, isFinal());
        ASSERT_TRUE(r) << router.log();
        answers[m.callId].push_back(r->status());
        if (r->status() == 503) {
            EXPECT_EQ(r->header("Retry-After"), "5");
        }
    }
    // Anything more (a second reply from sl_reply_error) would come now.
    while (auto extra = uac.receiveMsg(300)) answers[extra->header("Call-ID")].push_back(0);
    int ok = 0, refused = 0;
    for (const auto& [id, statuses] : answers) {
        ASSERT_EQ(statuses.size(), 1u) << id << ": one reply per request";
        ok += statuses[0] == 200;
        refused += statuses[0] == 503;
    }
    EXPECT_EQ(ok, 3);
    EXPECT_EQ(refused, 7);
    EXPECT_EQ(tmStat(router.process(), "budget_refused"), 7);
    EXPECT_EQ(tmStat(router.process(), "current"), 3);
}

}  // namespace
}  // namespace osprey::testsupport
