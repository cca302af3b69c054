// tm when shared memory runs out: requests that find no room get 500 (sl_reply_error) and a
// log line, nothing crashes, and once the transactions that filled the segment have timed
// out and gone, new requests are relayed again (no transaction leaked). tm's own budget is
// off here (max_shm_percent = 100), so the segment's end is what stops them; the budget, which
// answers 503 well before that, is tm_budget_test's.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"

namespace osprey::testsupport {
namespace {

TEST(TmMemory, OutOfShmAnswers500AndRecovers) {
    SipPeer uac, uas;  // the UAS never answers: every transaction waits for fr_timer
    SipRouter router(R"(
function ksr_request_route()
    KSR.setdsturi("sip:)" +
                         uas.hostPort() + R"(")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     tmRouterOptions("fr_timer = 8000; wt_timer = 200; hash_size = 1024; "
                                     "max_shm_percent = 100;",
                                     1));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string pad = "X-Pad: " + std::string(1500, 'p') + "\r\n";
    int sent = 0;
    int errors = 0;
    // 16 MiB of shm, about 4 KB per transaction: a few thousand fill it (sent in steps, so
    // the worker's socket buffer does not overflow before the segment does).
    for (int i = 0; i < 30000 && errors == 0; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        r.extraHeaders = pad;
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        ++sent;
        if (i % 100 == 99) {
            // Collect what came back so far (500s mean the segment is full).
            while (auto m = uac.receiveMsg(10)) {
                if (m->status() == 500) ++errors;
            }
        }
    }
    while (auto m = uac.receiveMsg(200)) {
        if (m->status() == 500) ++errors;
    }
    ASSERT_GT(errors, 0) << "sent " << sent << " without running out of shm\n" << router.log();
    EXPECT_NE(router.process().waitForLog("tm: out of shared memory"), std::string::npos);
    EXPECT_TRUE(router.process().running());

    // Every transaction times out (408) and goes; then there is room again for a request of
    // the same size (right now there is none). fr_timer is long enough that a slow fill does
    // not see the first transactions go before it ends; the attempts outlast it.
    bool relayed = false;
    int refused = 0;
    for (int attempt = 0; attempt < 60 && !relayed; ++attempt) {
        while (uac.receiveMsg(50)) {
        }
        SipRequest after;
        after.ruri = "sip:bob@example.com";
        after.extraHeaders = pad;
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, after), router.port()));
        relayed = static_cast<bool>(uas.receiveCall(after.callId, 300));
        if (!relayed) ++refused;
    }
    EXPECT_GT(refused, 0) << "room right after running out";
    EXPECT_TRUE(relayed) << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
