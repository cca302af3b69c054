// acc end to end with the real osprey on loopback: calls relayed through tm to a UAS peer,
// accounted by the flags the reference script uses (1 acc, 2 missed, 3 failed): a completed
// call (log and the acc table), a missed call (486: log and missed_calls), a failed
// transaction (a BYE answered 404 with the failed flag), the log_extra / db_extra attributes,
// and acc_log_request / acc_db_request.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/db/sqlite_conn.h"
#include "test/integration/tm_test_util.h"
#include "test/support/proc_info.h"
#include "test/support/stats_reader.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

std::string accScript(uint16_t uasPort) {
    return R"(
FLT_ACC = 1
FLT_ACCMISSED = 2
FLT_ACCFAILED = 3
function ksr_request_route()
    if KSR.hdr.is_present("X-AccReq") > 0 then
        KSR.acc.acc_log_request("202 Manual entry")
        KSR.acc.acc_db_request("202 Manual entry", "acc_manual")
        if KSR.acc.acc_db_request("x", "acc; drop table acc") ~= -1 then
            KSR.err("acc_db_request took a bad table name")
        end
        KSR.sl.send_reply(202, "Accounted")
        return
    end
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return
    end
    if KSR.is_INVITE() then
        KSR.setflag(FLT_ACC)
        if KSR.hdr.is_present("X-Failure-Route") > 0 then
            KSR.tm.t_on_failure("acc_failure")
        else
            KSR.setflag(FLT_ACCMISSED)
        end
    end
    if KSR.is_BYE() then
        KSR.setflag(FLT_ACC)
        KSR.setflag(FLT_ACCFAILED)
    end
    KSR.setdsturi("sip:127.0.0.1:)" +
           std::to_string(uasPort) + R"(")
    KSR.tm.t_relay()
end

-- Sees the flags the request set and sets the missed-call flag itself.
function acc_failure()
    if KSR.isflagset(FLT_ACC) and not KSR.isflagset(FLT_ACCMISSED) then
        KSR.setflag(FLT_ACCMISSED)
    end
end
)";
}

constexpr const char* kExtras = "src_user=$fU;src_domain=$fd;src_ip=$si;dst_user=$rU";

class Acc : public ::testing::Test {
protected:
    void start(const std::string& tmParams = "") {
        SipRouterOptions o = tmRouterOptions(tmParams);
        o.controlSocket = true;  // the acc:* statistics
        o.modules +=
            ", { name = \"pv\"; }, { name = \"acc\"; params = { log_flag = 1; "
            "log_missed_flag = 2; failed_transaction_flag = 3; db_flag = 1; "
            "db_missed_flag = 2; db_url = \"sqlite://" +
            tmp_.file("acc.db") + "\"; log_extra = \"" + kExtras + "\"; db_extra = \"" + kExtras +
            "\"; }; }";
        router_ = std::make_unique<SipRouter>(accScript(uas_.port()), o);
        ASSERT_TRUE(router_->start()) << router_->log();
    }

    // Sends req from the UAC, answers it at the UAS with status, returns the final reply the
    // UAC got.
    std::unique_ptr<ReceivedMsg> call(SipRequest& req, int status, const char* reason) {
        uac_.sendTo(buildRequest(uac_, req), router_->port());
        auto atUas = waitFor(uas_, req.callId, isMethod(req.method));
        if (!atUas) return nullptr;
        uas_.sendBack(buildResponse(*atUas, status, reason, "callee-tag"), *atUas);
        return waitFor(uac_, req.callId, isFinal());
    }

    // Rows of `table` for callId: "method|from_tag|to_tag|code|reason|src_user|src_ip|dst_user".
    std::vector<std::string> rows(const std::string& table, const std::string& callId) {
        std::vector<std::string> out;
        db::SqliteConn c;
        std::string error;
        db::OpenOptions o;
        o.create = false;
        o.wal = false;
        if (!c.open(tmp_.file("acc.db"), o, &error)) return out;
        db::SqliteStmt st = c.prepare(
            "SELECT method, from_tag, to_tag, sip_code, sip_reason, src_user, src_ip, dst_user, "
            "time FROM " +
                table + " WHERE callid = ?1",
            &error);
        if (!st) return out;
        st.bindText(1, callId);
        while (st.step() == db::Step::Row) {
            std::string r;
            for (int i = 0; i < 8; ++i) r += std::string(i ? "|" : "") + std::string(st.text(i));
            if (st.text(8).size() != 19) r += "|bad time " + std::string(st.text(8));
            out.push_back(r);
        }
        return out;
    }

    std::vector<std::string> waitRows(const std::string& table, const std::string& callId) {
        std::vector<std::string> r;
        pollUntil([&] { return !(r = rows(table, callId)).empty(); }, 5000, 20);
        return r;
    }

    bool waitLog(const std::string& needle, int timeoutMs = 3000) {
        return pollUntil([&] { return router_->log().find(needle) != std::string::npos; },
                         timeoutMs, 10);
    }

    TempDir tmp_;
    SipPeer uac_, uas_;
    std::unique_ptr<SipRouter> router_;
};

TEST_F(Acc, CompletedCallIsLoggedAndWrittenWithExtras) {
    start();
    SipRequest inv = invite("sip:bob@example.com");
    inv.from = "<sip:alice@example.com>;tag=caller-tag";
    auto fin = call(inv, 200, "OK");
    ASSERT_TRUE(fin) << router_->log();
    EXPECT_EQ(fin->status(), 200);
    const std::string line = "ACC: transaction answered: timestamp=";
    ASSERT_TRUE(waitLog("call_id=" + inv.callId +
                        ";code=200;reason=OK;src_user=alice;"
                        "src_domain=example.com;src_ip=127.0.0.1;dst_user=bob"))
        << router_->log();
    EXPECT_TRUE(waitLog(line)) << router_->log();
    EXPECT_TRUE(
        waitLog(";method=INVITE;from_tag=caller-tag;to_tag=callee-tag;call_id=" + inv.callId))
        << router_->log();
    EXPECT_EQ(waitRows("acc", inv.callId),
              std::vector<std::string>{"INVITE|caller-tag|callee-tag|200|OK|alice|127.0.0.1|bob"})
        << router_->log();
    EXPECT_TRUE(rows("missed_calls", inv.callId).empty());
    EXPECT_EQ(router_->log().find("ACC: call missed"), std::string::npos);
    StatsReader stats;
    auto v = stats.waitFor(router_->process(), [](const StatsReader::Values& v) {
        return StatsReader::get(v, "acc:db_written") >= 1;
    });
    EXPECT_EQ(StatsReader::get(v, "acc:log_records"), 1);
    EXPECT_EQ(StatsReader::get(v, "acc:db_queued"), 1);
    EXPECT_EQ(StatsReader::get(v, "acc:db_written"), 1);
    EXPECT_EQ(StatsReader::get(v, "acc:db_failed"), 0);
    EXPECT_EQ(StatsReader::get(v, "acc:db_queue_full"), 0);
}

TEST_F(Acc, MissedCallGoesToMissedCallsOnly) {
    start();
    SipRequest inv = invite("sip:carol@example.com");
    auto fin = call(inv, 486, "Busy Here");
    ASSERT_TRUE(fin) << router_->log();
    EXPECT_EQ(fin->status(), 486);
    EXPECT_TRUE(waitLog("ACC: call missed: timestamp=")) << router_->log();
    EXPECT_TRUE(waitLog("call_id=" + inv.callId + ";code=486;reason=Busy Here;src_user=alice"))
        << router_->log();
    const auto missed = waitRows("missed_calls", inv.callId);
    ASSERT_EQ(missed.size(), 1u) << router_->log();
    EXPECT_EQ(missed[0].rfind("INVITE|", 0), 0u) << missed[0];
    EXPECT_NE(missed[0].find("|callee-tag|486|Busy Here|alice|127.0.0.1|carol"), std::string::npos)
        << missed[0];
    // Without the failed flag a failed INVITE is not an acc record.
    EXPECT_TRUE(rows("acc", inv.callId).empty());
    EXPECT_EQ(router_->log().find("ACC: transaction answered: timestamp="), std::string::npos)
        << router_->log();
}

TEST_F(Acc, FailedTransactionIsAccountedWithTheFailedFlag) {
    start();
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = "sip:bob@example.com";
    bye.from = "<sip:alice@example.com>;tag=caller-tag";
    bye.to = "<sip:bob@example.com>;tag=callee-tag";
    auto fin = call(bye, 404, "Not Here");
    ASSERT_TRUE(fin) << router_->log();
    EXPECT_EQ(fin->status(), 404);
    EXPECT_TRUE(waitLog("method=BYE;from_tag=caller-tag;to_tag=callee-tag;call_id=" + bye.callId +
                        ";code=404;reason=Not Here"))
        << router_->log();
    EXPECT_EQ(
        waitRows("acc", bye.callId),
        std::vector<std::string>{"BYE|caller-tag|callee-tag|404|Not Here|alice|127.0.0.1|bob"});
    EXPECT_TRUE(rows("missed_calls", bye.callId).empty()) << "only INVITEs are missed calls";
}

TEST_F(Acc, UnflaggedTransactionsAreNotAccounted) {
    start();
    SipRequest opt;
    opt.method = "OPTIONS";
    opt.ruri = "sip:bob@example.com";
    auto fin = call(opt, 200, "OK");
    ASSERT_TRUE(fin) << router_->log();
    // A flagged call afterwards is written; the OPTIONS before it is not.
    SipRequest inv = invite();
    ASSERT_TRUE(call(inv, 200, "OK"));
    EXPECT_EQ(waitRows("acc", inv.callId).size(), 1u);
    EXPECT_TRUE(rows("acc", opt.callId).empty());
    EXPECT_EQ(router_->log().find("call_id=" + opt.callId), std::string::npos);
}

TEST_F(Acc, RequestAccountingFromTheScript) {
    start();
    SipRequest req;
    req.method = "MESSAGE";
    req.ruri = "sip:bob@example.com";
    req.extraHeaders = "X-AccReq: 1\r\n";
    uac_.sendTo(buildRequest(uac_, req), router_->port());
    auto resp = waitFor(uac_, req.callId, isFinal());
    ASSERT_TRUE(resp) << router_->log();
    EXPECT_EQ(resp->status(), 202);
    EXPECT_TRUE(waitLog("ACC: request accounted: timestamp=")) << router_->log();
    EXPECT_TRUE(waitLog("call_id=" + req.callId + ";code=202;reason=Manual entry"))
        << router_->log();
    const auto r = waitRows("acc_manual", req.callId);
    ASSERT_EQ(r.size(), 1u) << router_->log();
    EXPECT_EQ(r[0].substr(0, 8), "MESSAGE|");
    EXPECT_NE(r[0].find("|202|Manual entry|alice|127.0.0.1|bob"), std::string::npos) << r[0];
    EXPECT_NE(router_->log().find("is not a table name"), std::string::npos) << router_->log();
    EXPECT_EQ(router_->log().find("took a bad table name"), std::string::npos) << router_->log();
}

// No answer: tm's timer process sends the 408, and the missed call is accounted there.
TEST_F(Acc, TimeoutIsAMissedCallAccountedByTheTimerProcess) {
    start("fr_timer = 300; fr_inv_timer = 300;");
    SipRequest inv = invite("sip:erin@example.com");
    uac_.sendTo(buildRequest(uac_, inv), router_->port());
    ASSERT_TRUE(waitFor(uas_, inv.callId, isMethod("INVITE"))) << router_->log();
    auto fin = waitFor(uac_, inv.callId, isFinal(), 5000);
    ASSERT_TRUE(fin) << router_->log();
    EXPECT_EQ(fin->status(), 408);
    const auto missed = waitRows("missed_calls", inv.callId);
    ASSERT_EQ(missed.size(), 1u) << router_->log();
    EXPECT_NE(missed[0].find("|408|"), std::string::npos) << missed[0];
    EXPECT_NE(missed[0].find("|alice|127.0.0.1|erin"), std::string::npos) << missed[0];
    ASSERT_TRUE(waitLog("ACC: call missed: ")) << router_->log();
    const std::string log = router_->log();
    const size_t at = log.find("ACC: call missed: ");
    const size_t lineStart = log.rfind('\n', at);
    EXPECT_NE(log.substr(lineStart, at - lineStart).find("timer#"), std::string::npos)
        << "logged by the timer process: " << log.substr(lineStart, at - lineStart + 40);
}

// A failure route sees the transaction's flags and its changes count (Kamailio's semantics).
TEST_F(Acc, FlagsSetInAFailureRouteCount) {
    start();
    SipRequest inv = invite("sip:dave@example.com");
    inv.extraHeaders = "X-Failure-Route: 1\r\n";
    auto fin = call(inv, 480, "Temporarily Unavailable");
    ASSERT_TRUE(fin) << router_->log();
    EXPECT_EQ(fin->status(), 480);
    const auto missed = waitRows("missed_calls", inv.callId);
    ASSERT_EQ(missed.size(), 1u) << router_->log();
    EXPECT_NE(missed[0].find("|480|Temporarily Unavailable|alice|127.0.0.1|dave"),
              std::string::npos)
        << missed[0];
}

// The database held exclusively by another process: calls are answered as usual (a worker never
// waits for it), the writer reports the records it could not write, and once the lock is gone
// the next records are written.
TEST_F(Acc, LockedDatabaseNeverDelaysCalls) {
    start();
    SipRequest first = invite();
    ASSERT_TRUE(call(first, 200, "OK"));
    ASSERT_EQ(waitRows("acc", first.callId).size(), 1u) << router_->log();
    {
        db::SqliteConn holder;
        std::string error;
        db::OpenOptions o;
        o.wal = false;
        ASSERT_TRUE(holder.open(tmp_.file("acc.db"), o, &error)) << error;
        // Another writer holds the write lock (readers go on in WAL; the acc writer's
        // transactions fail after its busy timeout).
        ASSERT_TRUE(holder.exec("BEGIN IMMEDIATE; UPDATE acc SET method = method;", &error))
            << error;
        for (int i = 0; i < 3; ++i) {
            SipRequest inv = invite();
            auto fin = call(inv, 200, "OK");
            ASSERT_TRUE(fin) << "answered while the database is locked: " << router_->log();
            EXPECT_EQ(fin->status(), 200);
        }
        EXPECT_TRUE(waitLog("acc: writing ", 10000)) << router_->log();
        ASSERT_TRUE(holder.exec("ROLLBACK", &error)) << error;
    }
    SipRequest after = invite();
    ASSERT_TRUE(call(after, 200, "OK"));
    EXPECT_EQ(waitRows("acc", after.callId).size(), 1u) << router_->log();
    StatsReader stats;
    auto v = stats.read(router_->process());
    EXPECT_GE(StatsReader::get(v, "acc:db_failed"), 1);
    EXPECT_EQ(StatsReader::get(v, "acc:db_queued"),
              StatsReader::get(v, "acc:db_written") + StatsReader::get(v, "acc:db_failed"));
}

}  // namespace
}  // namespace osprey::testsupport
