// tm's RPC methods against a real INVITE transaction: tm.list shows it, tm.stats counts it,
// tm.cancel sends the CANCEL downstream.
#include <gtest/gtest.h>

#include "test/integration/rpc_test_util.h"

namespace osprey::testsupport {
namespace {

RpcRouterOptions tmOptions() {
    RpcRouterOptions o;
    o.modules = "{ name = \"tm\"; }";
    o.script = R"(
function ksr_request_route()
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() < 0 then KSR.sl.send_reply(481, "No Transaction") end
        return
    end
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)";
    return o;
}

TEST(RpcTmTest, ListStatsAndCancelAPendingInvite) {
    RpcRouter router(tmOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer uac;
    SipPeer uas;
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@127.0.0.1:" + std::to_string(uas.port());
    inv.callId = uniqueToken("rpc-tm");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.sipPort()));
    auto req = uas.receiveCall(inv.callId, 3000);
    ASSERT_NE(req, nullptr) << router.log();
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));

    rpc::Value list = parseJsonOutput(router.ctl({"-j", "tm.list"}).output);
    ASSERT_TRUE(list.isArray());
    bool found = false;
    for (const rpc::Value& t : list.items()) {
        if (t.find("callid")->asString() == inv.callId) {
            found = true;
            EXPECT_EQ(t.find("method")->asString(), "INVITE");
            EXPECT_EQ(t.find("outgoings")->asInt(), 1);
        }
    }
    EXPECT_TRUE(found) << router.ctl({"tm.list"}).output;

    rpc::Value st = parseJsonOutput(router.ctl({"-j", "tm.stats"}).output);
    ASSERT_TRUE(st.isStruct());
    EXPECT_GE(st.find("current")->asInt(), 1);
    EXPECT_GE(st.find("total")->asInt(), 1);

    RunResult none = router.kamcmd({"tm.cancel", "no-such-call", "1"});
    EXPECT_NE(none.output.find("error: 400 - Transaction not found"), std::string::npos)
        << none.output;

    RunResult noneCtl = router.ctl({"tm.cancel", "no-such-call", "1"});
    EXPECT_EQ(noneCtl.exitCode, 1);
    EXPECT_NE(noneCtl.output.find("error: 400 Transaction not found"), std::string::npos);

    RunResult cancel = router.kamcmd({"tm.cancel", inv.callId, "1"});
    EXPECT_EQ(cancel.exitCode, 0) << cancel.output;
    EXPECT_NE(cancel.output.find("branches remaining"), std::string::npos) << cancel.output;
    // The CANCEL reaches the callee, for the same Call-ID.
    std::unique_ptr<ReceivedMsg> c;
    for (int i = 0; i < 10 && (c == nullptr || c->method() != "CANCEL"); ++i)
        c = uas.receiveCall(inv.callId, 1000);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->method(), "CANCEL");
}

}  // namespace
}  // namespace osprey::testsupport
