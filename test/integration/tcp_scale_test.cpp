// Thousands of TCP connections at once (well over the usual 1024 open files): 2000 clients
// connect to the real osprey, each sends a request and gets its answer over its own connection,
// twice; then they all close and the router is left with no connection.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/timer/clock.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

constexpr int kConnections = 2000;

TEST(TcpScale, TwoThousandConcurrentConnectionsEachGetAnswers) {
    ASSERT_GE(raiseOpenFiles(kConnections + 512), static_cast<uint64_t>(kConnections + 512))
        << "the test needs its own open files limit raised";
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_children = 2;\ntcp_max_connections = 4096;\n";
    SipRouter router(R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)",
                     o);
    // osprey starts with the common default of 1024 open files and must raise it itself.
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit low = saved;
    low.rlim_cur = 1024;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    const bool started = router.start();
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    ASSERT_TRUE(started) << router.log();
    EXPECT_NE(router.log().find("open files limit raised from 1024"), std::string::npos)
        << router.log();

    const int64_t t0 = timer::nowMs();
    std::vector<std::unique_ptr<SipTcpConn>> conns;
    conns.reserve(kConnections);
    for (int i = 0; i < kConnections; ++i) {
        conns.push_back(std::make_unique<SipTcpConn>(router.tcpPort()));
        ASSERT_TRUE(conns.back()->ok()) << "connection " << i;
    }
    const int64_t t1 = timer::nowMs();
    for (int round = 0; round < 2; ++round) {
        std::vector<std::string> callIds(kConnections);
        for (int i = 0; i < kConnections; ++i) {
            SipRequest r;
            r.ruri = "sip:bob@127.0.0.1";
            std::string text = buildTcpRequest(*conns[i], r);
            callIds[i] = r.callId;
            ASSERT_TRUE(conns[i]->send(text)) << "connection " << i;
        }
        for (int i = 0; i < kConnections; ++i) {
            auto resp = conns[i]->receiveMsg(5000);
            ASSERT_TRUE(resp) << "round " << round << " connection " << i << "\n" << router.log();
            EXPECT_EQ(resp->header("Call-ID"), callIds[i]);
        }
    }
    const int64_t t2 = timer::nowMs();
    RecordProperty("connect_ms", static_cast<int>(t1 - t0));
    RecordProperty("two_rounds_ms", static_cast<int>(t2 - t1));
    std::printf("%d connections opened in %ld ms; %d requests answered in %ld ms\n", kConnections,
                static_cast<long>(t1 - t0), 2 * kConnections, static_cast<long>(t2 - t1));
    EXPECT_EQ(router.log().find("refused a TCP connection"), std::string::npos);
    EXPECT_EQ(router.log().find("cannot accept"), std::string::npos);
}

TEST(TcpScale, ConnectionsOverTheTableLimitAreRefusedAndLogged) {
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_children = 1;\ntcp_max_connections = 16;\n";
    SipRouter router(R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    std::vector<std::unique_ptr<SipTcpConn>> conns;
    for (int i = 0; i < 16; ++i) {
        conns.push_back(std::make_unique<SipTcpConn>(router.tcpPort()));
        ASSERT_TRUE(conns.back()->ok());
        SipRequest r;
        r.ruri = "sip:bob@127.0.0.1";
        ASSERT_TRUE(conns.back()->send(buildTcpRequest(*conns.back(), r)));
        ASSERT_TRUE(conns.back()->receiveMsg(3000)) << router.log();
    }
    SipTcpConn extra(router.tcpPort());
    ASSERT_TRUE(extra.ok());  // the kernel accepts, osprey closes it
    EXPECT_TRUE(extra.waitClosed(3000));
    EXPECT_NE(router.process().waitForLog("tcp_max_connections reached"), std::string::npos);
    // One closes, a new one fits again once tcp-main has seen the close: poll until then (a
    // count of quick attempts can all land before it, each refused in a millisecond).
    conns.front()->close();
    bool served = false;
    const int64_t deadline = timer::nowMs() + 5000;
    while (!served && timer::nowMs() < deadline) {
        SipTcpConn again(router.tcpPort());
        SipRequest r;
        r.ruri = "sip:bob@127.0.0.1";
        served = again.ok() && again.send(buildTcpRequest(again, r)) && again.receiveMsg(200);
    }
    EXPECT_TRUE(served) << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
