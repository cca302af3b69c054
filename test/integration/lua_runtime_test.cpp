// The Lua side of routing in the real binary: a script that blows its memory cap, calls a
// KSR function with wrong arguments (logged, false, the route goes on), or stops with
// KSR.x.exit()/drop() deep in nested calls. In every case the error is logged with script:line,
// nothing crashes, no worker is restarted, and the next message is routed as usual.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

std::vector<int> sorted(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// An OPTIONS the script answers 200 must still be answered.
void expectServing(SipPeer& uac, SipRouter& router) {
    for (int i = 0; i < 4; ++i) {
        SipRequest ok;
        ok.ruri = "sip:ping@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, ok), router.port()));
        auto resp = uac.receiveCall(ok.callId, 3000);
        ASSERT_TRUE(resp) << router.log();
        EXPECT_EQ(resp->status(), 200);
    }
}

void send(SipPeer& uac, SipRouter& router, const char* method) {
    SipRequest r;
    r.method = method;
    r.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
}

TEST(LuaRuntime, ARunawayScriptHitsTheMemoryCapAndTheWorkerCarriesOn) {
    SipPeer uac;
    SipRouterOptions o;
    o.extra = "lua_memory_limit = 8;\n";
    SipRouter router(R"(
hog = {}
function ksr_request_route()
    if KSR.is_INFO() then
        local i = 0
        while true do i = i + 1; hog[i] = string.rep('x', 4096) .. i end
    end
    KSR.sl.sl_send_reply(200, "OK")
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::vector<int> pids = sorted(router.workerPids());
    send(uac, router, "INFO");
    ASSERT_NE(router.process().waitForLog("memory limit of 8192 KiB reached", 10000),
              std::string::npos)
        << router.log();
    EXPECT_NE(router.log().find("route.lua:6:"), std::string::npos) << router.log();
    expectServing(uac, router);
    EXPECT_EQ(sorted(router.workerPids()), pids) << "no worker may have been restarted";
}

// Kamailio's app_lua rules: a call with arguments that do not fit is not made, the error names
// the function and the script line, the script gets false and the route goes on.
TEST(LuaRuntime, WrongArgumentsAreLoggedAndTheRouteGoesOn) {
    SipPeer uac;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_MESSAGE() then
        local r = KSR.sl.sl_send_reply("two hundred", "OK")
        KSR.sl.sl_send_reply(299, "after " .. tostring(r))
    elseif KSR.is_INFO() then
        local r = KSR.sl.sl_send_reply(200)
        KSR.sl.sl_send_reply(298, "after " .. tostring(r))
    elseif KSR.is_PUBLISH() then
        KSR.sl.send_reply("404", "Numeric string")
    end
    KSR.sl.sl_send_reply(200, "OK")
end
)");
    ASSERT_TRUE(router.start()) << router.log();
    const std::vector<int> pids = sorted(router.workerPids());
    struct Case {
        const char* method;
        int status;
        const char* reason;
        const char* logged;
    } cases[] = {
        {"MESSAGE", 299, "after false",
         "route.lua:4: bad argument #1 to 'KSR.sl.sl_send_reply' (integer expected, got string)"},
        {"INFO", 298, "after false",
         "route.lua:7: wrong number of arguments to 'KSR.sl.sl_send_reply' (2 expected, got 1)"},
        {"PUBLISH", 404, "Numeric string", nullptr},
    };
    for (const Case& c : cases) {
        SipRequest r;
        r.method = c.method;
        r.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        auto resp = uac.receiveCall(r.callId, 3000);
        ASSERT_TRUE(resp) << c.method << "\n" << router.log();
        EXPECT_EQ(resp->status(), c.status) << c.method;
        EXPECT_EQ(resp->reason(), c.reason) << c.method;
        if (c.logged != nullptr) {
            EXPECT_NE(router.process().waitForLog(c.logged, 3000), std::string::npos)
                << router.log();
        }
    }
    EXPECT_EQ(router.log().find("lua: error in"), std::string::npos)
        << "no route ended in an error\n"
        << router.log();
    expectServing(uac, router);
    EXPECT_EQ(sorted(router.workerPids()), pids);
}

TEST(LuaRuntime, ExitAndDropWorkFromNestedCalls) {
    SipPeer uac, uas;
    SipRouter router(R"(
local function deeper(n)
    if n == 0 then KSR.x.exit() end
    deeper(n - 1)
end
local function drop_ringing()
    if tonumber(KSR.pv.get("$rs")) == 180 then KSR.x.drop() end
end
function ksr_request_route()
    if KSR.is_INFO() then
        deeper(5)
        KSR.sl.sl_send_reply(500, "exit did not stop the route")
        return
    end
    if KSR.is_INVITE() then
        KSR.setdsturi("sip:127.0.0.1:)" +
                         std::to_string(uas.port()) +
                         R"(")
        KSR.forward()
        return
    end
    KSR.sl.sl_send_reply(200, "OK")
end
function ksr_reply_route()
    (function() drop_ringing() end)()
end
)",
                     [] {
                         SipRouterOptions o;
                         o.modules += ", { name = \"pv\"; }";
                         return o;
                     }());
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest info;
    info.method = "INFO";
    info.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, info), router.port()));
    EXPECT_FALSE(uac.receiveCall(info.callId, 500)) << "KSR.x.exit() must end the route";

    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 486, "Busy Here"), *req));
    auto first = uac.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(first) << router.log();
    EXPECT_EQ(first->status(), 486) << "the 180 was dropped in the reply route";
    EXPECT_EQ(router.process().countInLog("route.lua"), 0u) << router.log();
    expectServing(uac, router);
}

}  // namespace
}  // namespace osprey::testsupport
