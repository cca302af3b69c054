// Hostile and broken input never takes a worker down: every RFC 4475 torture message, Lua
// runtime errors in the script. Also: one peer's requests spread over the workers, and the
// router serves IPv6 (and IPv4 and IPv6 at once, the several-socket receive loop).
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "test/support/read_file.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

std::vector<std::string> tortureFiles() {
    std::vector<std::string> out;
    const std::string dir = OSPREY_SOURCE_DIR "/test/data/rfc4475";
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 4 && n.substr(n.size() - 4) == ".dat") out.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Answers OPTIONS to itself, relays everything else to a sink so nothing needs DNS.
std::string probeScript(uint16_t sinkPort) {
    return R"(
function ksr_request_route()
    if KSR.is_OPTIONS() and KSR.is_myself_ruri() then
        KSR.sl.sl_send_reply(200, "Alive")
        return
    end
    if KSR.maxfwd.process_maxfwd(70) == -1 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        return
    end
    KSR.setdsturi("sip:127.0.0.1:)" +
           std::to_string(sinkPort) + R"(")
    KSR.forward()
end
)";
}

bool answersOptions(SipPeer& peer, SipRouter& router) {
    SipRequest ping;
    ping.ruri = router.uri();
    if (!peer.sendTo(buildRequest(peer, ping), router.port())) return false;
    auto resp = peer.receiveCall(ping.callId, 3000);
    return resp && resp->status() == 200;
}

TEST(SipRobustness, EveryRfc4475MessageLeavesTheWorkersServing) {
    SipPeer attacker, prober, sink;
    SipRouter router(probeScript(sink.port()));
    ASSERT_TRUE(router.start()) << router.log();
    std::vector<int> pids = router.workerPids();
    ASSERT_EQ(pids.size(), 3u);  // 2 workers and the DNS process (a script is configured)
    std::sort(pids.begin(), pids.end());

    const std::vector<std::string> files = tortureFiles();
    ASSERT_EQ(files.size(), 49u);
    for (const std::string& f : files) {
        const std::string text = readFile(f);
        ASSERT_FALSE(text.empty()) << f;
        ASSERT_TRUE(attacker.sendTo(text, router.port())) << f;
        // Both workers must still answer: ask twice as many times as there are workers.
        for (int i = 0; i < 4; ++i) {
            ASSERT_TRUE(answersOptions(prober, router)) << "after " << f << "\n" << router.log();
        }
    }
    std::vector<int> after = router.workerPids();
    std::sort(after.begin(), after.end());
    EXPECT_EQ(after, pids) << "a worker died and was restarted\n" << router.log();
    EXPECT_EQ(router.process().countInLog("terminated by signal"), 0u) << router.log();
    // The invalid ones went through the checks (answered where their Via allows, else dropped).
    EXPECT_NE(router.log().find("a malformed request from"), std::string::npos) << router.log();
}

TEST(SipRobustness, ALuaRuntimeErrorIsLoggedAndTheWorkerCarriesOn) {
    SipPeer uac;
    SipRouter router(R"(
local function fail_deeper()
    local t = nil
    return t.field  -- line 4: attempt to index a nil value
end

function ksr_request_route()
    if KSR.is_INFO() then
        fail_deeper()
    end
    KSR.sl.sl_send_reply(200, "OK")
end
)");
    ASSERT_TRUE(router.start()) << router.log();
    std::vector<int> pids = router.workerPids();
    std::sort(pids.begin(), pids.end());

    for (int i = 0; i < 4; ++i) {
        SipRequest info;
        info.method = "INFO";
        info.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, info), router.port()));
    }
    ASSERT_NE(router.process().waitForLog("route.lua:4:", 3000), std::string::npos) << router.log();
    EXPECT_NE(router.log().find("attempt to index"), std::string::npos) << router.log();
    for (int i = 0; i < 4; ++i) {
        SipRequest ok;
        ok.ruri = "sip:bob@example.com";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, ok), router.port()));
        auto resp = uac.receiveCall(ok.callId);
        ASSERT_TRUE(resp) << router.log();
        EXPECT_EQ(resp->status(), 200);
    }
    std::vector<int> after = router.workerPids();
    std::sort(after.begin(), after.end());
    EXPECT_EQ(after, pids);
}

// The log prefix of a worker line is "sip#N[pid]: "; collects the pids of lines with marker.
std::set<int> pidsLogging(const std::string& log, const std::string& marker) {
    std::set<int> out;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
        if (line.find(marker) == std::string::npos) continue;
        size_t open = line.find("sip#");
        if (open == std::string::npos) continue;
        open = line.find('[', open);
        const size_t close = line.find(']', open);
        if (open == std::string::npos || close == std::string::npos) continue;
        out.insert(std::stoi(line.substr(open + 1, close - open - 1)));
    }
    return out;
}

// Sends `count` OPTIONS from one socket without waiting, then collects the answers.
int flood(SipPeer& uac, SipRouter& router, int count) {
    std::set<std::string> ids;
    for (int i = 0; i < count; ++i) {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        if (!uac.sendTo(buildRequest(uac, r), router.port())) return -1;
        ids.insert(r.callId);
    }
    int answered = 0;
    while (answered < count) {
        auto m = uac.receiveMsg(3000);
        if (!m) break;
        answered += ids.erase(m->header("Call-ID")) == 1;
    }
    return answered;
}

// A request with X-Hold keeps its worker in the script until the release file exists (at most
// 20 s): the test knows which worker is busy, without guessing at the scheduler.
std::string holdingScript(const std::string& releaseFile) {
    return R"(
local RELEASE = ")" +
           releaseFile + R"("
function ksr_request_route()
    if KSR.hdr.is_present("X-Hold") > 0 then
        KSR.info("holding " .. "now")
        local deadline = os.time() + 20
        while os.time() < deadline do
            local f = io.open(RELEASE)
            if f then f:close() break end
        end
    end
    KSR.info("served " .. "this")
    KSR.sl.sl_send_reply(200, "OK")
end
)";
}

TEST(SipRobustness, OnePeerSpreadsOverTheWorkers) {
    TempDir dir;
    const std::string release = dir.file("release");
    SipPeer uac;
    SipRouterOptions o;
    o.children = 4;
    SipRouter router(holdingScript(release), o);
    ASSERT_TRUE(router.start()) << router.log();
    // One worker is busy with a request from this peer...
    SipRequest hold;
    hold.ruri = "sip:bob@example.com";
    hold.extraHeaders = "X-Hold: 1\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, hold), router.port()));
    ASSERT_NE(router.process().waitForLog("holding now"), std::string::npos) << router.log();
    // ...so bursts from the same source address and port are served by the others meanwhile.
    for (int b = 0; b < 5; ++b) ASSERT_EQ(flood(uac, router, 10), 10) << router.log();
    const std::set<int> holder = pidsLogging(router.log(), "holding now");
    const std::set<int> served = pidsLogging(router.log(), "served this");
    ASSERT_EQ(holder.size(), 1u) << router.log();
    EXPECT_EQ(served.count(*holder.begin()), 0u) << "the held worker answered\n" << router.log();
    EXPECT_GE(served.size(), 1u) << router.log();
    { std::ofstream(release) << "go"; }
    auto held = uac.receiveCall(hold.callId);
    ASSERT_TRUE(held) << router.log();
    EXPECT_EQ(held->status(), 200);
    const std::vector<int> kids = router.workerPids();
    for (int pid : pidsLogging(router.log(), "served this")) {
        EXPECT_NE(std::find(kids.begin(), kids.end(), pid), kids.end());
    }
}

TEST(SipRobustness, Ipv6AndIpv4ListenersBothServe) {
    SipPeer uac6(AF_INET6), uas6(AF_INET6), uac4;
    ASSERT_TRUE(uac6.ok() && uas6.ok()) << "no IPv6 loopback (::1) on this machine";
    SipRouterOptions o;
    o.ipv6 = true;
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_OPTIONS() and KSR.is_myself_ruri() then
        KSR.sl.sl_send_reply(200, "Alive")
        return
    end
    KSR.forward()
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest ping6;
    ping6.ruri = "sip:[::1]:" + std::to_string(router.port6());
    ASSERT_TRUE(uac6.sendTo(buildRequest(uac6, ping6), router.port6()));
    auto r6 = uac6.receiveCall(ping6.callId);
    ASSERT_TRUE(r6) << router.log();
    EXPECT_EQ(r6->status(), 200);

    SipRequest ping4;
    ping4.ruri = router.uri();
    ASSERT_TRUE(uac4.sendTo(buildRequest(uac4, ping4), router.port()));
    auto r4 = uac4.receiveCall(ping4.callId);
    ASSERT_TRUE(r4) << router.log();
    EXPECT_EQ(r4->status(), 200);

    // Forwarded over IPv6: our Via names the IPv6 listener.
    SipRequest fwd;
    fwd.ruri = "sip:bob@[::1]:" + std::to_string(uas6.port());
    ASSERT_TRUE(uac6.sendTo(buildRequest(uac6, fwd), router.port6()));
    auto req = uas6.receiveCall(fwd.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->vias().at(0).rfind("SIP/2.0/UDP [::1]:" + std::to_string(router.port6()), 0), 0u)
        << req->text();
    ASSERT_TRUE(uas6.sendBack(buildResponse(*req, 200, "OK"), *req));
    auto resp = uac6.receiveCall(fwd.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
}

}  // namespace
}  // namespace osprey::testsupport
