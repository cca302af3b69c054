// dispatcher: the selection algorithms against three real gateways, failover in the failure
// route, ds_is_from_list, and the RPC listing.
//
// Distributions are measured with stateless forwarding (KSR.forward after ds_select_dst): the
// selection is the same code as for stateful calls, and 10,000 stateless requests take a
// second where 10,000 calls with replies would take much longer on a loaded machine.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "test/integration/dispatcher_test_util.h"

namespace osprey::testsupport {
namespace {

struct Three {
    Gateway a, b, c;
    int total() const { return a.requests() + b.requests() + c.requests(); }
};

std::string listOf(Three& g, const std::string& attrsA = "", const std::string& attrsB = "",
                   const std::string& attrsC = "") {
    return "# set 1: three gateways\n"
           "1 " +
           g.a.uri() + " 0 0 " + attrsA + "\n" + "1 " + g.b.uri() + " 0 0 " + attrsB + "\n" + "1 " +
           g.c.uri() + " 0 0 " + attrsC + "\n";
}

void expectShare(int got, int total, double share, const char* what) {
    const double expected = total * share;
    EXPECT_LE(std::abs(got - expected), total * 0.02) << what << ": " << got << " of " << total;
}

TEST(DispatcherSelect, RoundRobinSpreadsEvenlyOverTenThousandCalls) {
    Three g;
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", listOf(g));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    constexpr int kCalls = 10000;
    ASSERT_TRUE(sendStateless(uac, r.port(), kCalls, "X-Alg: 4\r\n", [&] { return g.total(); }))
        << "received " << g.total();
    expectShare(g.a.requests(), kCalls, 1.0 / 3, "a");
    expectShare(g.b.requests(), kCalls, 1.0 / 3, "b");
    expectShare(g.c.requests(), kCalls, 1.0 / 3, "c");
}

TEST(DispatcherSelect, WeightsGiveTheirSharesOverTenThousandCalls) {
    Three g;
    TempDir dir;
    const std::string list =
        dir.write("dispatcher.list", listOf(g, "weight=50", "weight=30", "weight=20"));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    constexpr int kCalls = 10000;
    ASSERT_TRUE(sendStateless(uac, r.port(), kCalls, "X-Alg: 9\r\n", [&] { return g.total(); }));
    expectShare(g.a.requests(), kCalls, 0.5, "a");
    expectShare(g.b.requests(), kCalls, 0.3, "b");
    expectShare(g.c.requests(), kCalls, 0.2, "c");
}

TEST(DispatcherSelect, RelativeWeightsFollowTheActiveOnes) {
    Three g;
    TempDir dir;
    const std::string list =
        dir.write("dispatcher.list", listOf(g, "rweight=1", "rweight=2", "rweight=1"));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    ASSERT_TRUE(sendStateless(uac, r.port(), 2000, "X-Alg: 11\r\n", [&] { return g.total(); }));
    expectShare(g.a.requests(), 2000, 0.25, "a");
    expectShare(g.b.requests(), 2000, 0.5, "b");
    // c goes inactive: 1/3 and 2/3 between a and b (Kamailio's example).
    const rpc::Value v =
        ctlCall(r.process(), "dispatcher.set_state", "[\"i\", 1, \"" + g.c.uri() + "\"]");
    ASSERT_TRUE(v.find("result") != nullptr) << r.log();
    const int a0 = g.a.requests(), b0 = g.b.requests(), c0 = g.c.requests();
    ASSERT_TRUE(sendStateless(uac, r.port(), 3000, "X-Alg: 11\r\n", [&] { return g.total(); }));
    EXPECT_EQ(g.c.requests(), c0);
    expectShare(g.a.requests() - a0, 3000, 1.0 / 3, "a after c went down");
    expectShare(g.b.requests() - b0, 3000, 2.0 / 3, "b after c went down");
}

TEST(DispatcherSelect, HashAlgorithmsKeepACallIdAndAFromOnOneGateway) {
    Three g;
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", listOf(g));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    // The same Call-ID 30 times (algorithm 0): one gateway gets all of them.
    ASSERT_TRUE(sendStateless(
        uac, r.port(), 30, "X-Alg: 0\r\n", [&] { return g.total(); }, 7, true));
    const int maxOne = std::max({g.a.requests(), g.b.requests(), g.c.requests()});
    EXPECT_EQ(maxOne, 30);
    // Different Call-IDs spread over all three.
    const int a0 = g.a.requests(), b0 = g.b.requests(), c0 = g.c.requests();
    ASSERT_TRUE(sendStateless(uac, r.port(), 300, "X-Alg: 0\r\n", [&] { return g.total(); }));
    EXPECT_GT(g.a.requests(), a0);
    EXPECT_GT(g.b.requests(), b0);
    EXPECT_GT(g.c.requests(), c0);
    // One From URI with different Call-IDs (algorithm 1): one gateway.
    const int t0 = g.total();
    const int a1 = g.a.requests(), b1 = g.b.requests(), c1 = g.c.requests();
    for (int i = 0; i < 30; ++i) {
        SipRequest req;
        req.method = "INVITE";
        req.ruri = "sip:bob@example.com";
        req.from = "<sip:carol@example.org>;tag=" + uniqueToken("t");
        req.extraHeaders = "X-Stateless: 1\r\nX-Alg: 1\r\n";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, req), r.port()));
    }
    ASSERT_TRUE(pollUntil([&] { return g.total() - t0 >= 30; }, scaledMs(5000), 1));
    const int da = g.a.requests() - a1, db = g.b.requests() - b1, dc = g.c.requests() - c1;
    EXPECT_EQ(std::max({da, db, dc}), 30) << da << " " << db << " " << dc;
}

TEST(DispatcherSelect, FailureRouteSkipsA503AndASilentGatewayAndTheCallCompletes) {
    Three g;
    g.a.setMode(GwMode::Busy503);
    g.b.setMode(GwMode::Silent);
    TempDir dir;
    // Priorities order the set: a, b, c; algorithm 8 takes them in that order.
    const std::string list =
        dir.write("dispatcher.list",
                  "2 " + g.a.uri() + " 0 30\n2 " + g.b.uri() + " 0 20\n2 " + g.c.uri() + " 0 10\n");
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\"; flags = 2;"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    EXPECT_EQ(call(uac, r.port(), "X-Set: 2\r\nX-Alg: 8\r\n"), 200) << r.log();
    EXPECT_EQ(g.a.invites(), 1);
    EXPECT_GE(g.b.invites(), 1);  // retransmitted until its fr_timer ran out
    EXPECT_EQ(g.c.invites(), 1);
    // Round robin with failover: every call completes though two of three fail.
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(call(uac, r.port(), "X-Set: 2\r\nX-Alg: 4\r\n"), 200) << "call " << i;
    }
    EXPECT_EQ(g.c.invites(), 7);
}

TEST(DispatcherSelect, WithoutTheFailoverFlagTheFailureRouteHasNoNext) {
    Three g;
    g.a.setMode(GwMode::Busy503);
    TempDir dir;
    const std::string list =
        dir.write("dispatcher.list", "2 " + g.a.uri() + " 0 30\n2 " + g.c.uri() + " 0 10\n");
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    // The gateway's 503 goes upstream as 500 (RFC 3261 §16.7 step 6).
    EXPECT_EQ(call(uac, r.port(), "X-Set: 2\r\nX-Alg: 8\r\n"), 500);
    EXPECT_EQ(g.c.invites(), 0);
}

TEST(DispatcherSelect, IsFromListAdmitsTheGatewaysOwnRequests) {
    Three g;
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", listOf(g));
    SipRouter r(kDispatcherScript,
                dispatcherOptions("list_file = \"" + list + "\"; setid_pvname = \"$var(dsset)\";"));
    ASSERT_TRUE(r.start()) << r.log();
    g.b.stopListening();
    SipRequest req;
    req.ruri = "sip:alice@example.com";
    req.extraHeaders = "X-Test: fromlist\r\n";
    ASSERT_TRUE(g.b.peer().sendTo(buildRequest(g.b.peer(), req), r.port()));
    auto m = g.b.peer().receiveCall(req.callId, 3000);
    ASSERT_TRUE(m) << r.log();
    EXPECT_EQ(m->status(), 200);
    EXPECT_EQ(m->reason(), "Known 1");
    // Set 5 does not exist; an unknown peer is refused.
    SipRequest req2 = req;
    req2.callId.clear();
    req2.via.clear();
    req2.extraHeaders = "X-Test: fromlist\r\nX-Set: 5\r\n";
    ASSERT_TRUE(g.b.peer().sendTo(buildRequest(g.b.peer(), req2), r.port()));
    m = g.b.peer().receiveCall(req2.callId, 3000);
    ASSERT_TRUE(m) << r.log();
    EXPECT_EQ(m->status(), 403);
    SipPeer stranger;
    SipRequest req3;
    req3.ruri = "sip:alice@example.com";
    req3.extraHeaders = "X-Test: fromlist\r\n";
    ASSERT_TRUE(stranger.sendTo(buildRequest(stranger, req3), r.port()));
    m = stranger.receiveCall(req3.callId, 3000);
    ASSERT_TRUE(m) << r.log();
    EXPECT_EQ(m->status(), 403);
}

TEST(DispatcherSelect, SelectDomainRewritesTheRequestUriAndTheAttrsAreReadable) {
    Three g;
    TempDir dir;
    const std::string list =
        dir.write("dispatcher.list", listOf(g, "duid=ga;x=1", "duid=gb", "duid=gc"));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list +
                                                     "\"; dst_attrs_pvname = \"$var(dsattrs)\";"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    EXPECT_EQ(call(uac, r.port(), "X-Alg: 8\r\nX-Domain: 1\r\n"), 200) << r.log();
    ASSERT_EQ(g.a.invites(), 1);
    ReceivedMsg got(g.a.lastRequest());
    EXPECT_EQ(got.requestUri(), "sip:bob@127.0.0.1:" + std::to_string(g.a.port()));
    EXPECT_EQ(got.header("X-Attrs"), "duid=ga;x=1");
}

TEST(DispatcherSelect, ParallelForksToEveryActiveGateway) {
    Three g;
    TempDir dir;
    const std::string list = dir.write("dispatcher.list", listOf(g));
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    ctlCall(r.process(), "dispatcher.set_state", "[\"d\", 1, \"" + g.b.uri() + "\"]");
    SipPeer uac;
    EXPECT_EQ(call(uac, r.port(), "X-Alg: 12\r\n"), 200) << r.log();
    // The first 200 ends the call; the other branch's INVITE may still be on its way.
    EXPECT_TRUE(
        pollUntil([&] { return g.a.invites() == 1 && g.c.invites() == 1; }, scaledMs(3000), 5))
        << g.a.invites() << " " << g.c.invites() << r.log();
    EXPECT_EQ(g.b.invites(), 0);  // disabled
}

TEST(DispatcherSelect, CallLoadGoesToTheLeastLoadedAndTheByeTakesItOff) {
    Three g;
    TempDir dir;
    const std::string list =
        dir.write("dispatcher.list", listOf(g, "duid=ga", "duid=gb;maxload=1", "duid=gc"));
    SipRouter r(kDispatcherScript,
                dispatcherOptions("list_file = \"" + list + "\"; ds_hash_size = 6;"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        SipRequest req;
        req.method = "INVITE";
        req.ruri = "sip:bob@example.com";
        req.extraHeaders = "X-Alg: 10\r\n";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, req), r.port()));
        auto m = uac.receiveCall(req.callId, 3000);
        while (m && m->status() < 200) m = uac.receiveCall(req.callId, 3000);
        ASSERT_TRUE(m) << r.log();
        EXPECT_EQ(m->status(), 200);
        ids.push_back(req.callId);
    }
    // 1st a, 2nd b (reaches maxload 1), 3rd c, 4th a, 5th c: b stays at its limit.
    EXPECT_EQ(g.a.invites(), 2);
    EXPECT_EQ(g.b.invites(), 1);
    EXPECT_EQ(g.c.invites(), 2);
    // The BYE of b's call takes its load off: the next call may go there again.
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = "sip:bob@example.com";
    bye.callId = ids[1];
    bye.to = "<sip:bob@example.com>;tag=uas-tag";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), r.port()));
    auto m = uac.receiveCall(bye.callId, 3000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->reason(), "Load 1");
    EXPECT_EQ(call(uac, r.port(), "X-Alg: 10\r\n"), 200);
    EXPECT_EQ(g.b.invites(), 2);
}

TEST(DispatcherSelect, ListShowsKamailiosShape) {
    Three g;
    TempDir dir;
    const std::string list = dir.write(
        "dispatcher.list", listOf(g, "weight=50;duid=gwa", "", "") + "3 " + g.a.uri() + " 4 5\n");
    SipRouter r(kDispatcherScript, dispatcherOptions("list_file = \"" + list + "\";"));
    ASSERT_TRUE(r.start()) << r.log();
    const rpc::Value doc = ctlCall(r.process(), "dispatcher.list");
    const rpc::Value* res = doc.find("result");
    ASSERT_TRUE(res != nullptr) << r.log();
    EXPECT_EQ(res->find("NRSETS")->asInt(), 2);
    const rpc::Value& set1 = *res->find("RECORDS")->items()[0].find("SET");
    EXPECT_EQ(set1.find("ID")->asInt(), 1);
    const rpc::Value& dest = *set1.find("TARGETS")->items()[0].find("DEST");
    EXPECT_EQ(dest.find("URI")->asString(), g.a.uri());
    EXPECT_EQ(dest.find("FLAGS")->asString(), "AX");
    EXPECT_EQ(dest.find("ATTRS")->find("WEIGHT")->asInt(), 50);
    EXPECT_EQ(dest.find("ATTRS")->find("DUID")->asString(), "gwa");
    EXPECT_EQ(destFlags(r.process(), g.a.uri()), "AX");
    const rpc::Value& set3 = *res->find("RECORDS")->items()[1].find("SET");
    EXPECT_EQ(set3.find("TARGETS")->items()[0].find("DEST")->find("FLAGS")->asString(), "DX");
    // set_state, then the listing shows it.
    ctlCall(r.process(), "dispatcher.set_state", "[\"ip\", 1, \"" + g.b.uri() + "\"]");
    EXPECT_EQ(destFlags(r.process(), g.b.uri()), "IP");
    const rpc::Value bad = ctlCall(r.process(), "dispatcher.set_state", "[\"x\", 1, \"all\"]");
    ASSERT_TRUE(bad.find("error") != nullptr);
    EXPECT_EQ(bad.find("error")->find("message")->asString(), "Unknown State Value");
    const rpc::Value ping = ctlCall(r.process(), "dispatcher.ping_active", "[0]");
    EXPECT_EQ(ping.find("result")->find("NewPingState")->asInt(), 0);
    EXPECT_EQ(ping.find("result")->find("OldPingState")->asInt(), 1);
}

}  // namespace
}  // namespace osprey::testsupport
