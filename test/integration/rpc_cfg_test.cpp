// cfg.get / cfg.set / cfg.list: a change made through RPC is what every SIP worker uses next
// (the log level, tm's fr_timer, the registrar's max_contacts).
#include <gtest/gtest.h>

#include "test/integration/rpc_test_util.h"

namespace osprey::testsupport {
namespace {

RpcRouterOptions cfgOptions() {
    RpcRouterOptions o;
    o.modules = "{ name = \"tm\"; }, { name = \"usrloc\"; }, { name = \"registrar\"; }";
    o.script = R"(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return
    end
    if KSR.is_OPTIONS() then
        KSR.dbg("debug line for OPTIONS\n")
        KSR.sl.sl_send_reply(200, "OK")
        return
    end
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)";
    return o;
}

class RpcCfgTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(router.start()) << router.log(); }
    RpcRouter router{cfgOptions()};
};

TEST_F(RpcCfgTest, ListGetAndRangeChecks) {
    RunResult list = router.kamcmd({"cfg.list"});
    EXPECT_NE(list.output.find("core: debug\n"), std::string::npos) << list.output;
    EXPECT_NE(list.output.find("tm: fr_timer\n"), std::string::npos) << list.output;
    EXPECT_NE(list.output.find("registrar: max_contacts\n"), std::string::npos) << list.output;

    EXPECT_EQ(router.ctl({"cfg.get", "core", "debug"}).output, "2\n");  // log_level "info"
    EXPECT_EQ(router.ctl({"cfg.get", "tm", "fr_timer"}).output, "30000\n");

    RunResult help = router.ctl({"cfg.help", "tm", "fr_timer"});
    EXPECT_EQ(help.exitCode, 0) << help.output;
    EXPECT_NE(help.output.find("desc: final reply timeout (ms)\n"), std::string::npos)
        << help.output;
    EXPECT_NE(help.output.find("max: 3600000\n"), std::string::npos) << help.output;

    RunResult range = router.ctl({"cfg.set", "tm", "fr_timer", "1"});
    EXPECT_EQ(range.exitCode, 1);
    EXPECT_NE(range.output.find("tm.fr_timer must be 10..3600000"), std::string::npos)
        << range.output;
    RunResult unknown = router.ctl({"cfg.set", "tm", "no_such", "1"});
    EXPECT_EQ(unknown.exitCode, 1);
    EXPECT_EQ(router.ctl({"cfg.get", "tm", "fr_timer"}).output, "30000\n");
}

TEST_F(RpcCfgTest, LogLevelChangeReachesTheWorkers) {
    ASSERT_TRUE(router.optionsAnswered());
    EXPECT_EQ(router.process().countInLog("debug line for OPTIONS"), 0u);
    ASSERT_EQ(router.ctl({"cfg.set", "core", "debug", "3"}).exitCode, 0);
    ASSERT_TRUE(router.optionsAnswered());
    EXPECT_NE(router.process().waitForLog("debug line for OPTIONS", 5000), std::string::npos);
    EXPECT_EQ(router.kamcmd({"cfg.get", "core", "debug"}).output, "3\n");
}

TEST_F(RpcCfgTest, FrTimerChangeAppliesToNewTransactions) {
    ASSERT_EQ(router.ctl({"cfg.set", "tm", "fr_timer", "300"}).exitCode, 0);
    // A MESSAGE to a callee that never answers: with the default 30 s nothing would come
    // within this test; with 300 ms the 408 comes at once.
    SipPeer uac;
    SipPeer silent;
    SipRequest m;
    m.method = "MESSAGE";
    m.ruri = "sip:bob@127.0.0.1:" + std::to_string(silent.port());
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, m), router.sipPort()));
    std::unique_ptr<ReceivedMsg> resp;
    for (int i = 0; i < 10 && (resp == nullptr || resp->status() < 200); ++i)
        resp = uac.receiveMsg(1000);
    ASSERT_NE(resp, nullptr);
    EXPECT_EQ(resp->status(), 408);
}

TEST_F(RpcCfgTest, MaxContactsChangeAppliesToTheNextRegister) {
    auto reg = [&](const std::string& user) {
        SipPeer ua;
        SipRequest r;
        r.method = "REGISTER";
        r.ruri = "sip:127.0.0.1:" + std::to_string(router.sipPort());
        r.from = "<sip:" + user + "@example.com>;tag=" + uniqueToken("t");
        r.to = "<sip:" + user + "@example.com>";
        r.extraHeaders = "Contact: <sip:" + user + "@127.0.0.1:5001>, <sip:" + user +
                         "@127.0.0.1:5002>\r\nExpires: 300\r\n";
        ua.sendTo(buildRequest(ua, r), router.sipPort());
        auto resp = ua.receiveMsg(3000);
        return resp ? resp->status() : -1;
    };
    EXPECT_EQ(reg("frank"), 200);
    ASSERT_EQ(router.ctl({"cfg.set", "registrar", "max_contacts", "1"}).exitCode, 0);
    EXPECT_EQ(reg("grace"), 503);
    ASSERT_EQ(router.ctl({"cfg.set", "registrar", "max_contacts", "0"}).exitCode, 0);
    EXPECT_EQ(reg("grace"), 200);
}

}  // namespace
}  // namespace osprey::testsupport
