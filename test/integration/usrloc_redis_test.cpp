// usrloc's store = "redis" end to end: three real osprey nodes on loopback share one real
// redis-server (started by the test on a free port, no persistence). A phone registers on one
// node and is reached through the others; an unregister or an expiry anywhere is seen
// everywhere; a restarted node finds what others registered; a cached lookup sends Redis
// nothing and no KEYS/SCAN is ever sent (redis-cli MONITOR); Redis stopped for 10 s under load
// and restarted empty: the policy applies, nothing crashes, and the nodes converge once it is
// back.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "test/integration/registrar_test_util.h"
#include "test/integration/rpc_test_util.h"
#include "test/support/redis_server.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<RegRouter> node(const RedisServer& redis, const std::string& id,
                                const std::string& more = "") {
    RegRouterOptions o;
    o.usrlocParams =
        "store = \"redis\"; redis_url = \"" + redis.url() + "\"; node_id = \"" + id + "\"; " + more;
    o.registrarParams = "min_expires = 1;";
    return std::make_unique<RegRouter>(o);
}

// A REGISTER for <user>@example.com with this contact and Expires, sent to `port`; the status
// of its answer (0: none).
int registerAt(SipPeer& uac, uint16_t port, const std::string& user, const std::string& contact,
               int expires, const std::string& callId, uint32_t cseq,
               std::string* reply = nullptr) {
    SipRequest req;
    req.method = "REGISTER";
    req.ruri = "sip:example.com";
    req.to = "<sip:" + user + "@example.com>";
    req.from = req.to + ";tag=" + uniqueToken("t");
    req.callId = callId;
    req.cseq = cseq;
    req.extraHeaders = "Contact: " + contact + "\r\nExpires: " + std::to_string(expires) + "\r\n";
    if (!uac.sendTo(buildRequest(uac, req), port)) return 0;
    auto resp = uac.receiveCall(callId, 3000);
    if (!resp) return 0;
    if (reply != nullptr) *reply = resp->text();
    return resp->status();
}

// Sends a MESSAGE for <user>@example.com to `port`: true when `uas` received it (the node
// found the binding), false when the node answered (404) or nothing came.
bool reaches(SipPeer& uac, uint16_t port, const std::string& user, SipPeer& uas,
             int waitMs = 1000) {
    SipRequest req;
    req.method = "MESSAGE";
    req.ruri = "sip:" + user + "@example.com";
    req.body = "hi";
    req.extraHeaders = "Content-Type: text/plain\r\n";
    uac.sendTo(buildRequest(uac, req), port);
    auto got = uas.receiveCall(req.callId, waitMs);
    if (got) return true;
    uac.receiveCall(req.callId, 100);  // the 404, if any, so it does not linger
    return false;
}

// Whether the node answers 404 for <user>@example.com (the binding is gone there): the 404
// itself is awaited, so the time this takes is the node's, not a receive timeout.
bool notFound(SipPeer& uac, uint16_t port, const std::string& user, SipPeer& uas) {
    SipRequest req;
    req.method = "MESSAGE";
    req.ruri = "sip:" + user + "@example.com";
    req.body = "hi";
    req.extraHeaders = "Content-Type: text/plain\r\n";
    uac.sendTo(buildRequest(uac, req), port);
    auto resp = uac.receiveCall(req.callId, 300);
    if (resp && resp->status() == 404) return true;
    uas.receiveCall(req.callId, 50);  // forwarded to the phone: drained
    return false;
}

// Polls until the node reaches the phone (want) or answers 404 (!want), bounded; the
// milliseconds it took, -1 when never.
int64_t untilReach(SipPeer& uac, uint16_t port, const std::string& user, SipPeer& uas, bool want,
                   int boundMs = 3000) {
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::milliseconds(boundMs)) {
        const bool done =
            want ? reaches(uac, port, user, uas, 300) : notFound(uac, port, user, uas);
        if (done)
            return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                .count();
    }
    return -1;
}

// Until the node reaches the phone, and a few lookups more: a fetch that raced with the
// invalidation of the write it fetched is answered but not kept, the next one is. After this
// the node holds the binding in its cache.
bool warm(SipPeer& uac, uint16_t port, const std::string& user, SipPeer& uas) {
    if (untilReach(uac, port, user, uas, true) < 0) return false;
    for (int i = 0; i < 3; ++i)
        if (!reaches(uac, port, user, uas)) return false;
    return true;
}

std::string contactOf(const SipPeer& uas, const std::string& user) {
    return "<sip:" + user + "@" + uas.hostPort() + ">";
}

struct Cluster {
    RedisServer redis;
    std::unique_ptr<RegRouter> a, b, c;
    bool start(const std::string& more = "") {
        if (!redis.start()) return false;
        a = node(redis, "A", more);
        b = node(redis, "B", more);
        c = node(redis, "C", more);
        return a->start() && b->start() && c->start();
    }
};

TEST(UsrlocRedis, RegisteredOnAReachedThroughBAndCUnregisterOnCSeenOnA) {
    Cluster k;
    ASSERT_TRUE(k.start()) << k.redis.log() << (k.a ? k.a->log() : "");
    SipPeer phone, uac;
    const std::string callId = uniqueToken("reg-");
    ASSERT_EQ(registerAt(phone, k.a->port(), "alice", contactOf(phone, "alice"), 300, callId, 1),
              200)
        << k.a->log();
    // Written asynchronously: B and C find it once the usrloc process of A has sent it.
    EXPECT_GE(untilReach(uac, k.b->port(), "alice", phone, true), 0) << k.b->log();
    EXPECT_GE(untilReach(uac, k.c->port(), "alice", phone, true), 0) << k.c->log();
    EXPECT_TRUE(reaches(uac, k.a->port(), "alice", phone));

    // Stored as one hash per AOR with the binding's expiry as the key's.
    EXPECT_EQ(redisCommand(k.redis.port(), {"HLEN", "osprey:loc:alice"}), "1");
    const long ttl = std::stol(redisCommand(k.redis.port(), {"TTL", "osprey:loc:alice"}));
    EXPECT_GT(ttl, 250);
    EXPECT_LE(ttl, 301);

    // Unregister through C: A (which saved it) sees it gone.
    ASSERT_EQ(registerAt(phone, k.c->port(), "alice", contactOf(phone, "alice"), 0, callId, 2), 200)
        << k.c->log();
    const int64_t ms = untilReach(uac, k.a->port(), "alice", phone, false);
    EXPECT_GE(ms, 0) << k.a->log();
    std::printf("unregister on C seen on A after %lld ms (poll)\n", static_cast<long long>(ms));
    EXPECT_FALSE(reaches(uac, k.b->port(), "alice", phone));
    EXPECT_EQ(redisCommand(k.redis.port(), {"EXISTS", "osprey:loc:alice"}), "0");
}

TEST(UsrlocRedis, ExpiryRemovesTheBindingOnEveryNodeAndInRedis) {
    Cluster k;
    ASSERT_TRUE(k.start()) << k.redis.log();
    SipPeer phone, uac;
    ASSERT_EQ(
        registerAt(phone, k.a->port(), "bob", contactOf(phone, "bob"), 2, uniqueToken("reg-"), 1),
        200);
    ASSERT_GE(untilReach(uac, k.b->port(), "bob", phone, true), 0) << k.b->log();
    ASSERT_GE(untilReach(uac, k.c->port(), "bob", phone, true), 0);
    // Cached on every node now; the expiry (2 s) removes it everywhere with no message.
    EXPECT_GE(untilReach(uac, k.a->port(), "bob", phone, false, 5000), 0);
    EXPECT_FALSE(reaches(uac, k.b->port(), "bob", phone));
    EXPECT_FALSE(reaches(uac, k.c->port(), "bob", phone));
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (redisCommand(k.redis.port(), {"EXISTS", "osprey:loc:bob"}) != "0" &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(redisCommand(k.redis.port(), {"EXISTS", "osprey:loc:bob"}), "0");
}

// A binding that expires while its AOR's hash lives on (another binding of the AOR is newer)
// is removed from Redis by the node that saved it (a conditional HDEL); the other stays.
TEST(UsrlocRedis, ExpiredBindingInALiveHashIsRemovedByItsOwner) {
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.log();
    auto a = node(redis, "A", "timer_interval = 1;");
    ASSERT_TRUE(a->start()) << a->log();
    SipPeer shortLived, longLived;
    const std::string gone = "<sip:kim@" + shortLived.hostPort() + ">";
    const std::string stays = "<sip:kim@" + longLived.hostPort() + ">";
    ASSERT_EQ(registerAt(shortLived, a->port(), "kim", gone, 2, uniqueToken("reg-"), 1), 200);
    ASSERT_EQ(registerAt(longLived, a->port(), "kim", stays, 300, uniqueToken("reg-"), 1), 200);
    const std::string goneUri = "sip:kim@" + shortLived.hostPort();
    const std::string staysUri = "sip:kim@" + longLived.hostPort();
    auto fields = [&] { return redisCommand(redis.port(), {"HKEYS", "osprey:loc:kim"}); };
    // Both written first.
    auto deadline = Clock::now() + std::chrono::seconds(3);
    while (fields().find(goneUri) == std::string::npos && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_NE(fields().find(goneUri), std::string::npos);
    // Then the short one goes (2 s, and the sweep's pass of 1 s), the long one stays.
    deadline = Clock::now() + std::chrono::seconds(6);
    while (fields().find(goneUri) != std::string::npos && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string left = fields();
    EXPECT_EQ(left.find(goneUri), std::string::npos) << left;
    EXPECT_NE(left.find(staysUri), std::string::npos) << left;
    EXPECT_EQ(redisCommand(redis.port(), {"EXISTS", "osprey:loc:kim"}), "1");
}

TEST(UsrlocRedis, RestartedNodeStillFindsRegistrationsOfAnother) {
    Cluster k;
    ASSERT_TRUE(k.start()) << k.redis.log();
    SipPeer phone, uac;
    ASSERT_EQ(registerAt(phone, k.a->port(), "carol", contactOf(phone, "carol"), 300,
                         uniqueToken("reg-"), 1),
              200);
    ASSERT_GE(untilReach(uac, k.b->port(), "carol", phone, true), 0) << k.b->log();
    k.b.reset();  // stops node B
    k.b = node(k.redis, "B");
    ASSERT_TRUE(k.b->start()) << k.b->log();
    EXPECT_TRUE(reaches(uac, k.b->port(), "carol", phone)) << k.b->log();
}

TEST(UsrlocRedis, CachedLookupSendsNothingToRedisAndNoKeysOrScanEver) {
    Cluster k;
    ASSERT_TRUE(k.start()) << k.redis.log();
    RedisMonitor mon(k.redis.port());
    ASSERT_TRUE(mon.start());
    SipPeer phone, uac, other;
    const std::string callId = uniqueToken("reg-");
    ASSERT_EQ(registerAt(phone, k.a->port(), "dave", contactOf(phone, "dave"), 300, callId, 1),
              200);
    ASSERT_TRUE(warm(uac, k.b->port(), "dave", phone));             // B fetched it and keeps it
    ASSERT_FALSE(reaches(uac, k.b->port(), "nobody", other, 300));  // "not registered", cached

    ASSERT_TRUE(mon.mark("cached-start"));
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(reaches(uac, k.b->port(), "dave", phone));
        ASSERT_TRUE(reaches(uac, k.a->port(), "dave", phone));
    }
    ASSERT_TRUE(mon.mark("cached-end"));
    const std::vector<std::string> sent = mon.between("cached-start", "cached-end");
    EXPECT_TRUE(sent.empty()) << sent.size() << " commands, first: " << sent.front();

    // A refresh and an unregister, then the expiry: still nothing but per-key commands.
    ASSERT_EQ(registerAt(phone, k.c->port(), "dave", contactOf(phone, "dave"), 1, callId, 2), 200);
    EXPECT_GE(untilReach(uac, k.a->port(), "dave", phone, false, 5000), 0);
    ASSERT_TRUE(mon.mark("done"));
    const std::string all = mon.text();
    EXPECT_NE(all.find("\"HGETALL\" \"osprey:loc:dave\""), std::string::npos);
    EXPECT_NE(all.find("\"PUBLISH\" \"osprey:loc\""), std::string::npos);
    EXPECT_EQ(all.find("\"KEYS\""), std::string::npos);
    EXPECT_EQ(all.find("\"SCAN\""), std::string::npos);
    EXPECT_EQ(all.find("\"HSCAN\""), std::string::npos);
}

// Node A with the RPC socket, so the test can read its queue (ul.store_stats).
std::unique_ptr<RpcRouter> rpcNode(const RedisServer& redis, const std::string& id) {
    RpcRouterOptions o;
    o.testModule = false;
    o.modules =
        "{ name = \"maxfwd\"; }, { name = \"usrloc\"; params = { store = \"redis\"; "
        "redis_url = \"" +
        redis.url() + "\"; node_id = \"" + id +
        "\"; }; }, { name = \"registrar\"; params = { "
        "min_expires = 1; }; }";
    o.script = registrarScript();
    return std::make_unique<RpcRouter>(o);
}

// Redis killed (its data is gone: no persistence) for 10 s while REGISTERs go to A and lookups
// to B, then started again, empty, on the same port. Meanwhile every REGISTER is answered 200
// and every cached lookup reaches the phone; A's queue grows and stays within db_queue_size.
// After: what A registered before the outage (its reseed of an empty Redis) and during it
// (its queue) is in Redis, and the other nodes reach it.
TEST(UsrlocRedis, RedisStoppedUnderLoadQueuePolicyServesAndConverges) {
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.log();
    auto a = rpcNode(redis, "A");
    auto b = node(redis, "B");
    auto c = node(redis, "C");
    ASSERT_TRUE(a->start() && b->start() && c->start()) << a->log();
    SipPeer phone, uac;
    ASSERT_EQ(registerAt(phone, a->sipPort(), "erin", contactOf(phone, "erin"), 300,
                         uniqueToken("reg-"), 1),
              200);
    ASSERT_TRUE(warm(uac, b->port(), "erin", phone));
    auto stats = [&] { return parseJsonOutput(a->ctl({"-j", "ul.store_stats"}).output); };
    auto num = [](const rpc::Value& v, const char* k) {
        return v.find(k) != nullptr ? v.find(k)->asInt() : -1;
    };

    redis.stop();
    SipPeer loadUa;
    constexpr int kUsers = 400;  // the load re-registers them round robin, as fast as answered
    int sent = 0, ok = 0, lookups = 0, reached = 0;
    int64_t queuedEarly = -1;
    const auto outageStart = Clock::now();
    while (Clock::now() - outageStart < std::chrono::seconds(10)) {
        const std::string user = "load" + std::to_string(sent % kUsers);
        ok += registerAt(loadUa, a->sipPort(), user, contactOf(loadUa, user), 300,
                         uniqueToken("reg-"), 1) == 200;
        ++sent;
        ++lookups;
        reached += reaches(uac, b->port(), "erin", phone, 500);
        if (queuedEarly < 0 && Clock::now() - outageStart > std::chrono::milliseconds(500))
            queuedEarly = num(stats(), "QueueBytes");
    }
    SipPeer frank;  // registered on A last, during the outage
    ok += registerAt(frank, a->sipPort(), "frank", contactOf(frank, "frank"), 300,
                     uniqueToken("reg-"), 1) == 200;
    ++sent;
    const rpc::Value during = stats();
    const int64_t queuedLate = num(during, "QueueBytes");
    EXPECT_EQ(num(during, "Up"), 0);
    EXPECT_EQ(ok, sent) << a->log();
    EXPECT_GE(sent, kUsers);  // under load: every user registered at least once
    EXPECT_EQ(reached, lookups);
    EXPECT_GT(queuedEarly, 0);
    EXPECT_GT(queuedLate, queuedEarly);           // the queue grows while Redis is down...
    EXPECT_LE(queuedLate, int64_t{8192} * 1024);  // ...within db_queue_size (default 8 MiB)
    // What did not fit was counted (the cache has it; the reseed below writes it).
    const int64_t dropped = num(during, "QueueDropped");
    EXPECT_GE(dropped, 0);
    if (dropped > 0) {
        EXPECT_GT(queuedLate, int64_t{8192} * 1024 - 16384);  // full
    }

    ASSERT_TRUE(redis.start()) << redis.log();  // same port, empty
    // Converges: erin (registered before the outage), frank and every load user (during it)
    // are in Redis again, A's queue is written, and the other nodes reach them.
    auto inRedis = [&](const std::string& user) {
        return redisCommand(redis.port(), {"EXISTS", "osprey:loc:" + user}) == "1";
    };
    auto missing = [&] {
        int n = !inRedis("erin") + !inRedis("frank");
        for (int i = 0; i < kUsers; ++i) n += !inRedis("load" + std::to_string(i));
        return n;
    };
    const auto deadline = Clock::now() + std::chrono::seconds(8);
    int left = missing();
    while (left != 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        left = missing();
    }
    EXPECT_EQ(left, 0) << a->log();
    rpc::Value after = stats();
    while (num(after, "QueueBytes") != 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        after = stats();
    }
    EXPECT_EQ(num(after, "QueueBytes"), 0);
    EXPECT_EQ(num(after, "Up"), 1);
    EXPECT_GE(untilReach(uac, b->port(), "frank", frank, true, 5000), 0) << a->log();
    EXPECT_GE(untilReach(uac, c->port(), "erin", phone, true, 5000), 0);
    EXPECT_GE(untilReach(uac, c->port(), "load7", loadUa, true, 5000), 0);
    EXPECT_TRUE(a->process().running());
    EXPECT_TRUE(b->process().running());
    EXPECT_TRUE(c->process().running());
}

TEST(UsrlocRedis, RejectPolicyAnswers503WithRetryAfterWhileRedisIsDown) {
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.log();
    auto a = node(redis, "A", "redis_down_policy = \"reject\";");
    ASSERT_TRUE(a->start()) << a->log();
    SipPeer phone;
    // Connected: accepted.
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    int st = 0;
    while (st != 200 && Clock::now() < deadline)
        st = registerAt(phone, a->port(), "gina", contactOf(phone, "gina"), 300,
                        uniqueToken("reg-"), 1);
    ASSERT_EQ(st, 200) << a->log();
    redis.stop();
    std::string reply;
    int got = 0;
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (got != 503 && Clock::now() < until)
        got = registerAt(phone, a->port(), "hank", contactOf(phone, "hank"), 300,
                         uniqueToken("reg-"), 1, &reply);
    EXPECT_EQ(got, 503) << a->log();
    EXPECT_NE(reply.find("Retry-After: 5"), std::string::npos) << reply;
    SipPeer uac;
    EXPECT_TRUE(reaches(uac, a->port(), "gina", phone));  // served from the cache
    EXPECT_TRUE(a->process().running());
}

TEST(UsrlocRedis, TcpPhoneRegisteredOnAIsCalledThroughBViaPathToA) {
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.log();
    auto tcpNode = [&](const std::string& id) {
        RegRouterOptions o;
        o.usrlocParams =
            "store = \"redis\"; redis_url = \"" + redis.url() + "\"; node_id = \"" + id + "\";";
        SipRouterOptions so = regRouterOptions(o);
        so.tcp = true;
        return std::make_unique<SipRouter>(registrarScript(), so);
    };
    auto a = tcpNode("A");
    auto b = tcpNode("B");
    ASSERT_TRUE(a->start()) << a->log();
    ASSERT_TRUE(b->start()) << b->log();

    // The phone's only way in is its TCP connection to A.
    SipTcpConn phone(a->tcpPort());
    ASSERT_TRUE(phone.ok());
    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:example.com";
    reg.to = "<sip:tina@example.com>";
    reg.from = reg.to + ";tag=" + uniqueToken("t");
    reg.extraHeaders =
        "Contact: <sip:tina@" + phone.localHostPort() + ";transport=tcp>\r\nExpires: 300\r\n";
    ASSERT_TRUE(phone.send(buildTcpRequest(phone, reg)));
    auto ok = phone.receiveCall(reg.callId, 3000);
    ASSERT_TRUE(ok) << a->log();
    ASSERT_EQ(ok->status(), 200);

    // A call through B goes to A (the binding's owner), which sends it over the connection.
    SipPeer uac;
    std::unique_ptr<ReceivedMsg> got;
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (!got && Clock::now() < deadline) {
        SipRequest req;
        req.method = "MESSAGE";
        req.ruri = "sip:tina@example.com";
        req.body = "hi";
        req.extraHeaders = "Content-Type: text/plain\r\n";
        uac.sendTo(buildRequest(uac, req), b->port());
        got = phone.receiveCall(req.callId, 300);
    }
    ASSERT_TRUE(got) << b->log() << a->log();
    EXPECT_EQ(got->method(), "MESSAGE");
    EXPECT_EQ(got->requestUri(), "sip:tina@" + phone.localHostPort() + ";transport=tcp");
    // It passed through both nodes: B's Via below A's.
    const std::vector<std::string> vias = got->vias();
    ASSERT_GE(vias.size(), 3u) << got->text();
    EXPECT_NE(vias[1].find(":" + std::to_string(b->port())), std::string::npos) << got->text();
}

TEST(UsrlocRedis, SyncWriteAnswersOnlyWhatRedisHolds) {
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.log();
    auto a = node(redis, "A", "sync_write = 1;");
    ASSERT_TRUE(a->start()) << a->log();
    SipPeer phone;
    for (int i = 0; i < 20; ++i) {
        const std::string user = "sync" + std::to_string(i);
        int st = 0;
        // The first may come before the usrloc process connected: 503, then 200.
        for (int t = 0; t < 50 && st != 200; ++t)
            st = registerAt(phone, a->port(), user, contactOf(phone, user), 300,
                            uniqueToken("reg-"), 1);
        ASSERT_EQ(st, 200) << a->log();
        // No polling: the 200 means Redis acknowledged it.
        EXPECT_EQ(redisCommand(redis.port(), {"HLEN", "osprey:loc:" + user}), "1") << user;
    }
    redis.stop();
    int got = 200;
    const auto until = Clock::now() + std::chrono::seconds(8);
    while (got == 200 && Clock::now() < until)
        got = registerAt(phone, a->port(), "late", contactOf(phone, "late"), 300,
                         uniqueToken("reg-"), 1);
    EXPECT_TRUE(got == 503 || got == 500) << got;  // never a 200 Redis did not hold
}

TEST(UsrlocRedis, StoreStatsRpcCountsWritesHitsAndMisses) {
    RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.log();
    RpcRouterOptions o;
    o.testModule = false;
    o.modules =
        "{ name = \"maxfwd\"; }, { name = \"usrloc\"; params = { store = \"redis\"; "
        "redis_url = \"" +
        redis.url() + "\"; node_id = \"S\"; }; }, { name = \"registrar\"; }";
    o.script = registrarScript();
    RpcRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer phone, uac;
    ASSERT_EQ(
        registerAt(phone, r.sipPort(), "ivy", contactOf(phone, "ivy"), 300, uniqueToken("reg-"), 1),
        200);
    ASSERT_TRUE(reaches(uac, r.sipPort(), "ivy", phone));
    ASSERT_FALSE(reaches(uac, r.sipPort(), "nobody", phone, 200));
    rpc::Value v;
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    do {
        v = parseJsonOutput(r.ctl({"-j", "ul.store_stats"}).output);
    } while ((v.find("WritesOk") == nullptr || v.find("WritesOk")->asInt() < 1) &&
             Clock::now() < deadline);
    ASSERT_NE(v.find("Store"), nullptr) << r.ctl({"-j", "ul.store_stats"}).output;
    EXPECT_EQ(v.find("Store")->asString(), "redis");
    EXPECT_EQ(v.find("Node")->asString(), "S");
    EXPECT_EQ(v.find("Up")->asInt(), 1);
    EXPECT_GE(v.find("WritesOk")->asInt(), 1);
    EXPECT_GE(v.find("CacheHits")->asInt(), 1);    // ivy: saved here, looked up here
    EXPECT_GE(v.find("CacheMisses")->asInt(), 1);  // nobody (and ivy before its save)
    EXPECT_GE(v.find("FetchEmpty")->asInt(), 1);
    EXPECT_NE(v.find("FetchLatency")->find("Count"), nullptr);
    EXPECT_NE(v.find("WriteLatency")->find("le_1000us"), nullptr);
}

}  // namespace
}  // namespace osprey::testsupport
