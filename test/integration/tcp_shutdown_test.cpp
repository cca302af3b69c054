// Clean shutdown with TCP connections open: SIGTERM stops tcp-main and every TCP worker within
// the second, the connections are closed (clients see EOF), the master exits 0 and no process
// is left behind.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/timer/clock.h"
#include "test/support/proc_info.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

TEST(TcpShutdown, SigtermWithOpenConnectionsLeavesNothingBehind) {
    becomeSubreaper();   // an orphan would become ours, so we would see it
    SipTcpListener uas;  // an outgoing connection too
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_children = 3;\n";
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_method("MESSAGE") then
        KSR.setdsturi("sip:127.0.0.1:)" +
                         std::to_string(uas.port()) +
                         R"(;transport=tcp")
        KSR.forward()
        return
    end
    KSR.sl.sl_send_reply(200, "OK")
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::vector<int> kids = router.workerPids();
    ASSERT_GE(kids.size(), 6u) << "2 sip, tcp-main, 3 tcp";

    std::vector<std::unique_ptr<SipTcpConn>> conns;
    for (int i = 0; i < 100; ++i) {
        conns.push_back(std::make_unique<SipTcpConn>(router.tcpPort()));
        ASSERT_TRUE(conns.back()->ok());
        SipRequest r;
        r.ruri = "sip:bob@127.0.0.1";
        ASSERT_TRUE(conns.back()->send(buildTcpRequest(*conns.back(), r)));
        ASSERT_TRUE(conns.back()->receiveMsg(3000)) << router.log();
    }
    // One connection in the middle of a message, one outgoing connection open.
    ASSERT_TRUE(conns[0]->send("OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP"));
    SipRequest m;
    m.method = "MESSAGE";
    m.ruri = "sip:bob@example.com";
    ASSERT_TRUE(conns[1]->send(buildTcpRequest(*conns[1], m)));
    auto out = uas.accept(3000);
    ASSERT_TRUE(out) << router.log();
    ASSERT_TRUE(out->receiveCall(m.callId, 3000));

    const int64_t t0 = timer::nowMs();
    ASSERT_TRUE(router.process().signal(SIGTERM));
    int status = 0;
    ASSERT_TRUE(router.process().waitExit(3000, &status)) << router.log();
    const int64_t took = timer::nowMs() - t0;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << router.log();
    EXPECT_LT(took, 1000) << "every process stops within the second";
    EXPECT_EQ(router.log().find("killing it"), std::string::npos) << router.log();
    for (int k : kids) {
        EXPECT_TRUE(pollUntil(
            [&] {
                reapIfExited(k);
                return !processAlive(k);
            },
            2000))
            << "orphan " << k;
    }
    for (auto& c : conns) EXPECT_TRUE(c->waitClosed(2000));
    EXPECT_TRUE(out->waitClosed(2000)) << "the outgoing connection is closed too";
}

}  // namespace
}  // namespace osprey::testsupport
