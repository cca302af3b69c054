// usrloc's store = "redis" through Sentinel: a master, a replica and three Sentinels (real
// redis-server and redis-sentinel processes on free loopback ports). The master is stopped
// under REGISTER load; the Sentinels promote the replica and the nodes follow them. Nothing
// answered 200 with sync_write (and redis_wait_replicas = 1) is lost; a node writing
// asynchronously goes on writing to the new master.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/integration/registrar_test_util.h"
#include "test/support/redis_server.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

int registerAt(SipPeer& uac, uint16_t port, const std::string& user, int timeoutMs = 3000) {
    SipRequest req;
    req.method = "REGISTER";
    req.ruri = "sip:example.com";
    req.to = "<sip:" + user + "@example.com>";
    req.from = req.to + ";tag=" + uniqueToken("t");
    req.callId = uniqueToken("reg-");
    req.extraHeaders = "Contact: <sip:" + user + "@" + uac.hostPort() + ">\r\nExpires: 300\r\n";
    if (!uac.sendTo(buildRequest(uac, req), port)) return 0;
    auto resp = uac.receiveCall(req.callId, timeoutMs);
    return resp ? resp->status() : 0;
}

TEST(UsrlocRedisSentinel, FailoverUnderLoadLosesNothingAnsweredWithSyncWrite) {
    RedisServer master;
    ASSERT_TRUE(master.start()) << master.log();
    RedisServer replica(master.port());
    ASSERT_TRUE(replica.start()) << replica.log();
    std::vector<std::unique_ptr<RedisSentinel>> sentinels;
    std::string list;
    for (int i = 0; i < 3; ++i) {
        sentinels.push_back(std::make_unique<RedisSentinel>(master.port(), "osprey", 2));
        ASSERT_TRUE(sentinels.back()->start());
        list +=
            (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(sentinels.back()->port());
    }
    // The replica has caught up before the test starts.
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (redisCommand(replica.port(), {"INFO", "replication"}).find("master_link_status:up") ==
               std::string::npos &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));

    const std::string common =
        "store = \"redis\"; redis_sentinels = \"" + list + "\"; redis_master_name = \"osprey\"; ";
    RegRouterOptions so;
    so.usrlocParams = common + "node_id = \"S\"; sync_write = 1; redis_wait_replicas = 1;";
    RegRouter syncNode(so);
    ASSERT_TRUE(syncNode.start()) << syncNode.log();
    RegRouterOptions ao;
    ao.usrlocParams = common + "node_id = \"A\";";
    RegRouter asyncNode(ao);
    ASSERT_TRUE(asyncNode.start()) << asyncNode.log();

    SipPeer ua;
    std::vector<std::string> answered;
    int i = 0;
    const auto start = Clock::now();
    bool stopped = false;
    while (Clock::now() - start < std::chrono::seconds(6)) {
        if (!stopped && Clock::now() - start > std::chrono::seconds(1)) {
            master.stop();  // under load
            stopped = true;
        }
        const std::string user = "s" + std::to_string(i++);
        if (registerAt(ua, syncNode.port(), user, 4000) == 200) answered.push_back(user);
    }
    ASSERT_GT(answered.size(), 0u) << syncNode.log();

    // The Sentinels name the replica as master.
    deadline = Clock::now() + std::chrono::seconds(20);
    std::string addr;
    while (Clock::now() < deadline) {
        addr =
            redisCommand(sentinels[0]->port(), {"SENTINEL", "get-master-addr-by-name", "osprey"});
        if (addr == "127.0.0.1\n" + std::to_string(replica.port())) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(addr, "127.0.0.1\n" + std::to_string(replica.port()));

    size_t lost = 0;
    for (const std::string& u : answered)
        lost += redisCommand(replica.port(), {"EXISTS", "osprey:loc:" + u}) != "1";
    EXPECT_EQ(lost, 0u) << "of " << answered.size() << " answered 200";
    std::printf("%zu REGISTERs answered 200 with sync_write around the failover, %zu lost\n",
                answered.size(), lost);

    // The asynchronous node writes to the new master.
    deadline = Clock::now() + std::chrono::seconds(15);
    bool written = false;
    for (int n = 0; !written && Clock::now() < deadline; ++n) {
        const std::string user = "after" + std::to_string(n);
        if (registerAt(ua, asyncNode.port(), user) != 200) continue;
        for (int t = 0; t < 50 && !written; ++t) {
            written = redisCommand(replica.port(), {"EXISTS", "osprey:loc:" + user}) == "1";
            if (!written) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    EXPECT_TRUE(written) << asyncNode.log();
    EXPECT_TRUE(syncNode.process().running());
    EXPECT_TRUE(asyncNode.process().running());
}

}  // namespace
}  // namespace osprey::testsupport
