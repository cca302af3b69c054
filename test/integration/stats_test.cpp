// Statistics of the real osprey after known SIP traffic, read as an operator does
// (test/support/stats_reader.h: stats.get_statistics on the control socket, GET /metrics):
// OPTIONS answered by sl, a REGISTER saved, an INVITE relayed through tm to a registered UA
// and answered, a malformed request; Kamailio's names and values, the Prometheus text linted
// by promtool; a killed worker's counts survive its restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <string>

#include "test/integration/tm_test_util.h"
#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

using Values = StatsReader::Values;

SipRouterOptions options() {
    SipRouterOptions o =
        tmRouterOptions("fr_timer = 2000; fr_inv_timer = 3000; wt_timer = 200;", 2, true);
    o.controlSocket = true;
    o.rpcHttp = true;
    return o;
}

// What the statistics say for each name, as a readable failure message.
std::string show(const Values& v, std::initializer_list<const char*> names) {
    std::string s;
    for (const char* n : names)
        s += std::string(n) + "=" + std::to_string(StatsReader::get(v, n)) + " ";
    return s;
}

TEST(Stats, KnownTrafficShowsInKamailiosCountersAndInPrometheus) {
    StatsReader stats;
    SipPeer uac;
    SipPeer bob;
    SipRouter router(kRegistrarRelayScript, options());
    ASSERT_TRUE(router.start()) << router.log();

    const Values before = stats.read(router.process());
    ASSERT_FALSE(before.empty()) << router.log();
    EXPECT_EQ(StatsReader::get(before, "core:rcv_requests"), 0);
    EXPECT_EQ(StatsReader::get(before, "registrar:max_expires"), 3600);
    EXPECT_GT(StatsReader::get(before, "shmem:total_size"), 0);

    // Three OPTIONS to nobody: 404 from sl.
    for (int i = 0; i < 3; ++i) {
        SipRequest opt;
        opt.ruri = "sip:nobody@127.0.0.1";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, opt), router.port()));
        auto r = uac.receiveCall(opt.callId);
        ASSERT_TRUE(r) << router.log();
        EXPECT_EQ(r->status(), 404);
    }

    // bob registers.
    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:127.0.0.1";
    reg.from = "<sip:bob@127.0.0.1>;tag=" + uniqueToken("t");
    reg.to = "<sip:bob@127.0.0.1>";
    reg.extraHeaders = "Contact: <sip:bob@" + bob.hostPort() + ">\r\nExpires: 600\r\n";
    ASSERT_TRUE(bob.sendTo(buildRequest(bob, reg), router.port()));
    auto regOk = bob.receiveCall(reg.callId);
    ASSERT_TRUE(regOk) << router.log();
    ASSERT_EQ(regOk->status(), 200);

    // An INVITE to bob through tm: 100 from tm, bob's 180 and 200 relayed.
    SipRequest inv = invite("sip:bob@127.0.0.1");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto atBob = waitFor(bob, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(atBob) << router.log();
    // The 200 only after the 180 came through: sent back to back, two workers may take them in
    // either order, and a 180 handled after the 200 is absorbed (the counts below would move).
    ASSERT_TRUE(bob.sendBack(buildResponse(*atBob, 180, "Ringing"), *atBob));
    ASSERT_TRUE(waitFor(uac, inv.callId, isStatus(180))) << router.log();
    ASSERT_TRUE(bob.sendBack(buildResponse(*atBob, 200, "OK"), *atBob));
    ASSERT_TRUE(waitFor(uac, inv.callId, isStatus(200))) << router.log();

    // A request whose CSeq does not parse: 400, counted as an error with a bad header.
    ASSERT_TRUE(
        uac.sendTo("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP " +
                       uac.hostPort() +
                       ";branch=z9hG4bK-bad;rport\r\n"
                       "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n"
                       "Call-ID: bad-cseq\r\nCSeq: many OPTIONS\r\nMax-Forwards: 70\r\n"
                       "Content-Length: 0\r\n\r\n",
                   router.port()));
    auto bad = uac.receiveCall("bad-cseq");
    ASSERT_TRUE(bad) << router.log();
    EXPECT_EQ(bad->status(), 400);

    // Counts are written just after the messages go out, and the transaction ends after
    // wt_timer: read until everything settled.
    const Values v = stats.waitFor(router.process(), [](const Values& x) {
        return StatsReader::get(x, "tmx:rpl_sent") >= 3 &&
               StatsReader::get(x, "tmx:inuse_transactions") == 0 &&
               StatsReader::get(x, "core:err_requests") >= 1;
    });
    const std::string all = show(
        v, {"core:rcv_requests", "tmx:rpl_sent", "tmx:inuse_transactions", "core:err_requests"});
    EXPECT_EQ(StatsReader::get(v, "core:rcv_requests"), 5) << all;
    EXPECT_EQ(StatsReader::get(v, "core:rcv_requests_options"), 3);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_requests_register"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_requests_invite"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_replies"), 2);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_replies_1xx"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_replies_18x"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_replies_2xx"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:rcv_replies_2xx_invite"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:err_requests"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:bad_msg_hdr"), 1);
    EXPECT_EQ(StatsReader::get(v, "core:bad_URIs_rcvd"), 0);
    EXPECT_EQ(StatsReader::get(v, "sl:404_replies"), 3);
    EXPECT_EQ(StatsReader::get(v, "sl:sent_replies"), 3);
    EXPECT_EQ(StatsReader::get(v, "registrar:accepted_regs"), 1);
    EXPECT_EQ(StatsReader::get(v, "registrar:rejected_regs"), 0);
    EXPECT_EQ(StatsReader::get(v, "usrloc:location-users"), 1);
    EXPECT_EQ(StatsReader::get(v, "usrloc:location-contacts"), 1);
    EXPECT_EQ(StatsReader::get(v, "usrloc:registered_users"), 1);
    EXPECT_EQ(StatsReader::get(v, "tmx:UAS_transactions"), 1);
    EXPECT_EQ(StatsReader::get(v, "tmx:2xx_transactions"), 1);
    EXPECT_EQ(StatsReader::get(v, "tmx:inuse_transactions"), 0);
    EXPECT_EQ(StatsReader::get(v, "tmx:active_transactions"), 0);
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_received"), 2);
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_relayed"), 2);
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_generated"), 1);  // 100 Trying
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_sent"), 3);
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_absorbed"), 0);
    EXPECT_EQ(StatsReader::get(v, "tm:branches_sent"), 1);
    EXPECT_GE(StatsReader::get(v, "osprey:sent_messages"), 8);
    EXPECT_GT(StatsReader::get(v, "shmem:used_size"), 0);

    const std::string prom = fetchMetrics(router.httpPort());
    EXPECT_NE(prom.find("\nkamailio_core_rcv_request_total{method=\"invite\"} 1\n"),
              std::string::npos)
        << prom;
    EXPECT_NE(prom.find("\nkamailio_sl_reply_total{code=\"404\"} 3\n"), std::string::npos);
    EXPECT_NE(prom.find("\nkamailio_usrloc_location_users 1\n"), std::string::npos);
    EXPECT_NE(prom.find("kamailio_pkgmem_used{entry=\"0\""), std::string::npos);
    const LintResult lint = promtoolCheckMetrics(prom);
    EXPECT_EQ(lint.exitCode, 0) << lint.output;
    EXPECT_EQ(lint.output, "");
}

TEST(Stats, AKilledWorkersCountsStayInTheTotalsAfterItsRestart) {
    StatsReader stats;
    SipPeer uac;
    SipRouterOptions o;
    o.children = 1;  // one worker gets every request
    o.controlSocket = true;
    SipRouter router(R"(function ksr_request_route() KSR.sl.sl_send_reply(200, "OK") end)", o);
    ASSERT_TRUE(router.start()) << router.log();
    auto ask = [&](int n) {
        for (int i = 0; i < n; ++i) {
            SipRequest opt;
            opt.ruri = router.uri();
            ASSERT_TRUE(uac.sendTo(buildRequest(uac, opt), router.port()));
            auto r = uac.receiveCall(opt.callId);
            ASSERT_TRUE(r) << router.log();
        }
    };
    ask(5);
    Values v = stats.waitFor(router.process(), [](const Values& x) {
        return StatsReader::get(x, "core:rcv_requests") == 5;
    });
    ASSERT_EQ(StatsReader::get(v, "core:rcv_requests"), 5);

    // The SIP worker's pid, from its log prefix "sip#0[pid]:" (it logs its heaps at start-up).
    ASSERT_NE(router.process().waitForLog("sip#0[", 3000), std::string::npos) << router.log();
    const std::string log = router.log();
    const size_t at = log.rfind("sip#0[");
    ASSERT_NE(at, std::string::npos) << log;
    const int worker = std::atoi(log.c_str() + at + 6);
    ASSERT_GT(worker, 0);
    const size_t mark = log.size();
    ASSERT_EQ(kill(worker, SIGKILL), 0);
    ASSERT_NE(router.process().waitForLog("is ready again", 5000, mark), std::string::npos)
        << router.log();
    ask(2);
    v = stats.waitFor(router.process(), [](const Values& x) {
        return StatsReader::get(x, "core:rcv_requests") >= 7;
    });
    EXPECT_EQ(StatsReader::get(v, "core:rcv_requests"), 7) << router.log();
    EXPECT_EQ(StatsReader::get(v, "sl:200_replies"), 7);
}

TEST(Stats, TcpConnectionsAreCounted) {
    StatsReader stats;
    SipRouterOptions o;
    o.tcp = true;
    o.controlSocket = true;
    o.rpcHttp = true;
    SipRouter router(R"(function ksr_request_route() KSR.sl.sl_send_reply(200, "OK") end)", o);
    ASSERT_TRUE(router.start()) << router.log();
    {
        SipTcpConn c(router.tcpPort());
        ASSERT_TRUE(c.ok());
        SipRequest r;
        r.ruri = "sip:bob@127.0.0.1";
        ASSERT_TRUE(c.send(buildTcpRequest(c, r)));
        auto resp = c.receiveCall(r.callId);
        ASSERT_TRUE(resp) << router.log();
        const Values v = stats.waitFor(router.process(), [](const Values& x) {
            return StatsReader::get(x, "tcp:current_opened_connections") == 1;
        });
        EXPECT_EQ(StatsReader::get(v, "tcp:passive_open"), 1) << router.log();
        EXPECT_EQ(StatsReader::get(v, "tcp:established"), 1);
        EXPECT_EQ(StatsReader::get(v, "tcp:current_opened_connections"), 1);
        EXPECT_EQ(StatsReader::get(v, "core:rcv_requests_options"), 1);
    }
    // Closed by us: the router lets it go.
    const Values v = stats.waitFor(router.process(), [](const Values& x) {
        return StatsReader::get(x, "tcp:current_opened_connections") == 0;
    });
    EXPECT_EQ(StatsReader::get(v, "tcp:current_opened_connections"), 0);
    EXPECT_EQ(StatsReader::get(v, "tcp:passive_open"), 1);
    const std::string prom = fetchMetrics(router.httpPort());
    EXPECT_NE(prom.find("\nkamailio_tcp_total{type=\"passive_open\"} 1\n"), std::string::npos)
        << prom;
    const LintResult lint = promtoolCheckMetrics(prom);
    EXPECT_EQ(lint.exitCode, 0) << lint.output;
}

}  // namespace
}  // namespace osprey::testsupport
