// app_lua.reload through ospreyctl: a changed script answers once the reload is accepted, a
// broken one is refused with its error and the old one keeps answering.
#include <gtest/gtest.h>

#include "test/integration/rpc_test_util.h"
#include "test/support/proc_info.h"

namespace osprey::testsupport {
namespace {

std::string scriptAnswering(const std::string& reason) {
    return "function ksr_request_route()\n    KSR.sl.sl_send_reply(200, \"" + reason + "\")\nend\n";
}

// The reason phrase of the answer to an OPTIONS ("" when none came).
std::string answer(const RpcRouter& r) {
    SipPeer uac;
    SipRequest req;
    req.ruri = "sip:127.0.0.1:" + std::to_string(r.sipPort());
    if (!uac.sendTo(buildRequest(uac, req), r.sipPort())) return "";
    auto resp = uac.receiveMsg(3000);
    return resp ? resp->reason() : "";
}

// Asks until the answers are `reason` four times in a row (both workers), for at most 5 s:
// each process switches at its next wake-up.
bool answersWith(const RpcRouter& r, const std::string& reason) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int streak = 0;
    while (streak < 4 && std::chrono::steady_clock::now() < deadline)
        streak = answer(r) == reason ? streak + 1 : 0;
    return streak >= 4;
}

TEST(RpcLuaTest, ReloadThroughOspreyctl) {
    RpcRouterOptions o;
    o.script = scriptAnswering("First");
    RpcRouter router(o);
    ASSERT_TRUE(router.start()) << router.log();
    EXPECT_EQ(answer(router), "First");

    RunResult list = router.ctl({"app_lua.list"});
    EXPECT_EQ(list.output, "- 0: [" + router.process().dir().file("route.lua") + "]\n");

    router.process().dir().write("route.lua", scriptAnswering("Second"));
    RunResult reload = router.ctl({"reload"});
    EXPECT_EQ(reload.exitCode, 0) << reload.output;
    EXPECT_EQ(reload.output, "generation: 2\n");
    EXPECT_TRUE(answersWith(router, "Second"));

    // core.psx (ospreyctl ps) shows the generation each script process runs: both SIP
    // workers switch to 2 within their next wake-up.
    int sipOnTwo = 0;
    EXPECT_TRUE(pollUntil(
        [&] {
            rpc::Value psx = parseJsonOutput(router.ctl({"-j", "core.psx"}).output);
            sipOnTwo = 0;
            for (const rpc::Value& p : psx.items()) {
                const rpc::Value* dsc = p.find("DSC");
                const rpc::Value* gen = p.find("GEN");
                if (dsc != nullptr && dsc->asString().rfind("sip#", 0) == 0 && gen != nullptr &&
                    gen->asInt() == 2)
                    ++sipOnTwo;
            }
            return sipOnTwo == 2;
        },
        5000, 50));
    EXPECT_EQ(sipOnTwo, 2);
    RunResult ps = router.ctl({"ps"});
    EXPECT_NE(ps.output.find("GEN: 2"), std::string::npos) << ps.output;

    router.process().dir().write("route.lua", "function ksr_request_route(\n");
    RunResult broken = router.kamcmd({"app_lua.reload"});
    EXPECT_NE(broken.output.find("error: 500 - Reload Failed: "), std::string::npos)
        << broken.output;
    EXPECT_NE(broken.output.find("route.lua"), std::string::npos) << broken.output;
    EXPECT_TRUE(answersWith(router, "Second"));

    rpc::Value st = parseJsonOutput(router.ctl({"-j", "app_lua.status"}).output);
    ASSERT_TRUE(st.isStruct());
    EXPECT_EQ(st.find("generation")->asInt(), 2);
    EXPECT_EQ(st.find("refused")->asInt(), 1);
    for (const rpc::Value& p : st.find("processes")->items())
        EXPECT_EQ(p.find("generation")->asInt(), 2) << p.find("DSC")->asString();
}

}  // namespace
}  // namespace osprey::testsupport
