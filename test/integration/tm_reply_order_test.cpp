// Replies of one transaction leave tm in the order it decided them (docs/tm-reply-order.md):
// the callee answers every INVITE with 180 and 200 in two datagrams back to back, several
// workers pick them up, and the caller must never see a provisional after the 2xx (RFC 3261
// §16.7 step 5). Many calls are answered at once, so the workers' receive batches mix the
// replies of different calls and the 180 and the 200 of one call often go to two workers:
// before the fix, a 180 decided first could still wait in its worker's send batch while
// another worker relayed and sent the 200.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/integration/tm_test_util.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

// Stateful relay to the UAS, with a little work in the reply route so that a worker's batch
// of replies takes a while: the window in which a reply decided early but not yet sent could
// be overtaken is then as wide as a busy proxy makes it.
std::string busyRelayScript(uint16_t uasPort) {
    return relayScript("127.0.0.1:" + std::to_string(uasPort), "", R"(
local spin = 0
function ksr_reply_route()
    for i = 1, 200000 do spin = spin + i end
end
)");
}

struct CallSeen {
    bool final = false;
    bool ringing = false;           // the 180 reached the caller (before or after the 200)
    int provisionalAfterFinal = 0;  // the violation: a 1xx received after the 2xx
};

TEST(TmReplyOrder, NoProvisionalReachesTheCallerAfterTheFinal) {
    constexpr int kRounds = 20;
    constexpr int kWindow = 24;  // calls answered at once per round
    SipPeer uac, uas;
    ASSERT_TRUE(uac.ok() && uas.ok());
    SipRouterOptions opts = tmRouterOptions("wt_timer = 500;", 4);
    opts.controlSocket = true;
    SipRouter router(busyRelayScript(uas.port()), opts);
    ASSERT_TRUE(router.start()) << router.log();

    int violations = 0;
    int calls = 0;
    int callsRung = 0;
    std::string example;
    for (int round = 0; round < kRounds; ++round) {
        std::map<std::string, CallSeen> seen;
        for (int i = 0; i < kWindow; ++i) {
            SipRequest inv = invite();
            ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
            seen[inv.callId];
        }
        std::vector<std::unique_ptr<ReceivedMsg>> invites;
        std::map<std::string, bool> invited;  // a retransmitted INVITE (timer A) counts once
        while (static_cast<int>(invites.size()) < kWindow) {
            auto m = uas.receiveMsg(3000);
            ASSERT_TRUE(m) << "INVITE " << invites.size() << " of round " << round
                           << " not relayed\n"
                           << router.log();
            if (!m->isRequest() || m->method() != "INVITE") continue;
            if (invited.emplace(m->header("Call-ID"), true).second) invites.push_back(std::move(m));
        }
        // Every call's 180 and then its 200, the calls answered together as a busy callee
        // side does: all the 180s back to back, then all the 200s.
        for (auto& req : invites) {
            ASSERT_TRUE(uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
        }
        for (auto& req : invites) {
            ASSERT_TRUE(uas.sendBack(buildResponse(*req, 200, "OK"), *req));
        }
        int finalsLeft = kWindow;
        while (finalsLeft > 0) {
            auto m = uac.receiveMsg(3000);
            ASSERT_TRUE(m) << finalsLeft << " calls of round " << round << " got no 200\n"
                           << router.log();
            auto it = seen.find(m->header("Call-ID"));
            if (m->isRequest() || it == seen.end()) continue;
            CallSeen& c = it->second;
            if (m->status() == 180) c.ringing = true;
            if (m->status() >= 200) {
                if (!c.final) --finalsLeft;
                c.final = true;
            } else if (c.final) {
                ++c.provisionalAfterFinal;
            }
        }
        // A provisional overtaken by its 200 arrives right behind it: collect the stragglers
        // until the line is quiet (bounded by the poll's timeout).
        while (auto m = uac.receiveMsg(200)) {
            auto it = seen.find(m->header("Call-ID"));
            if (m->isRequest() || it == seen.end()) continue;
            if (m->status() < 200) ++it->second.provisionalAfterFinal;
            if (m->status() == 180) it->second.ringing = true;
        }
        for (auto& [callId, c] : seen) {
            ++calls;
            if (c.ringing) ++callsRung;
            if (c.provisionalAfterFinal > 0) {
                ++violations;
                if (example.empty()) example = callId;
            }
        }
    }
    std::printf("%d calls: %d got 180 and 200, %d only the 200 (180 absorbed)\n", calls, callsRung,
                calls - callsRung);
    EXPECT_EQ(violations, 0) << violations << " of " << calls
                             << " calls saw a provisional after the 200 (e.g. " << example << ")";

    // The callee's 180s and 200s, 2 per call, all matched; a 180 that did not reach the caller
    // was absorbed (tmx's rpl_absorbed: received and not relayed), one that did was relayed.
    StatsReader stats;
    const auto v = stats.waitFor(router.process(), [&](const StatsReader::Values& v) {
        return StatsReader::get(v, "tmx:rpl_received") >= 2 * calls;
    });
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_received"), 2 * calls);
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_absorbed"), calls - callsRung);
    EXPECT_EQ(StatsReader::get(v, "tmx:rpl_relayed"), calls + callsRung);
}

}  // namespace
}  // namespace osprey::testsupport
