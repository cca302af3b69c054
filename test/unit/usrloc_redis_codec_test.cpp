// The redis store's layout and settings: a binding survives encode/decode with every field and
// its owner; keys, invalidations and redis_url / redis_sentinels parse as documented
// (docs/redis-store.md); a TCP binding of another node is reached through that node.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "modules/usrloc/redis_codec.h"
#include "modules/usrloc/redis_link.h"

namespace osprey::usrloc {
namespace {

ContactData sample() {
    ContactData c;
    c.uri = "sip:alice@192.0.2.1:5060;transport=tcp";
    c.callId = "call-1";
    c.path = "";
    c.received = "sip:198.51.100.7:40000;transport=tcp";
    c.userAgent = "phone/1.0";
    c.instance = "<urn:uuid:00000000-0000-0000-0000-000000000001>";
    c.socket = "tcp:127.0.0.1:5060";
    c.cseq = 42;
    c.regId = 1;
    c.q = 500;
    c.flags = 0x80000001u;
    c.expires = 1800000000;
    c.lastModified = 1799999999123;
    return c;
}

TEST(UsrlocRedisCodec, ContactRoundTripsWithItsOwner) {
    const ContactData c = sample();
    const std::string v = encodeContact(c, Owner{"A", "sip:10.0.0.1:5060"});
    ContactData d;
    Owner o;
    ASSERT_TRUE(decodeContact(v, &d, &o));
    EXPECT_EQ(d.uri, c.uri);
    EXPECT_EQ(d.callId, c.callId);
    EXPECT_EQ(d.received, c.received);
    EXPECT_EQ(d.userAgent, c.userAgent);
    EXPECT_EQ(d.instance, c.instance);
    EXPECT_EQ(d.socket, c.socket);
    EXPECT_EQ(d.cseq, c.cseq);
    EXPECT_EQ(d.regId, c.regId);
    EXPECT_EQ(d.q, c.q);
    EXPECT_EQ(d.flags, c.flags);
    EXPECT_EQ(d.expires, c.expires);
    EXPECT_EQ(d.lastModified, c.lastModified);
    EXPECT_EQ(o.node, "A");
    EXPECT_EQ(o.uri, "sip:10.0.0.1:5060");
}

TEST(UsrlocRedisCodec, TruncatedOrForeignValuesAreRefused) {
    const std::string v = encodeContact(sample(), Owner{"A", ""});
    ContactData d;
    for (size_t n = 0; n < v.size(); ++n) EXPECT_FALSE(decodeContact(v.substr(0, n), &d, nullptr));
    std::string other = v;
    other[0] = 9;  // a version this code does not know
    EXPECT_FALSE(decodeContact(other, &d, nullptr));
}

TEST(UsrlocRedisCodec, KeysAndInvalidations) {
    EXPECT_EQ(redisKey("location", "alice"), "osprey:loc:alice");
    EXPECT_EQ(redisKey("aliases", "bob@example.com"), "osprey:loc:aliases:bob@example.com");
    std::string payload;
    startInvalidation(payload, "edge-a");
    addInvalidation(payload, "location", "alice@x");
    addInvalidation(payload, "aliases", "bob");
    std::string_view node;
    std::vector<std::string> seen;
    auto collect = [&](std::string_view t, std::string_view a) {
        seen.push_back(std::string(t) + "/" + std::string(a));
    };
    ASSERT_TRUE(parseInvalidation(payload, &node, collect));
    EXPECT_EQ(node, "edge-a");
    EXPECT_EQ(seen, (std::vector<std::string>{"location/alice@x", "aliases/bob"}));
    EXPECT_FALSE(parseInvalidation("no newline", &node, collect));
    EXPECT_FALSE(parseInvalidation("node\n", &node, collect));              // no AOR
    EXPECT_FALSE(parseInvalidation("node\nlocation\n", &node, collect));    // no AOR
    EXPECT_FALSE(parseInvalidation("node\nlocation\n\n", &node, collect));  // empty AOR
}

TEST(UsrlocRedisCodec, OnlyAnotherNodesConnectionBoundBindingGoesThroughIt) {
    ContactData c = sample();
    const Owner a{"A", "sip:10.0.0.1:5060"};
    EXPECT_EQ(ownerPath(c, a, "B"), "<sip:10.0.0.1:5060;lr>");
    EXPECT_EQ(ownerPath(c, a, "A"), "");  // our own connection
    c.socket = "tls:127.0.0.1:5061";
    EXPECT_EQ(ownerPath(c, a, "B"), "<sip:10.0.0.1:5060;lr>");
    c.socket = "udp:127.0.0.1:5060";
    EXPECT_EQ(ownerPath(c, a, "B"), "");  // B reaches it itself
    c.socket = "tcp:127.0.0.1:5060";
    c.path = "<sip:edge.example.com;lr>";
    EXPECT_EQ(ownerPath(c, a, "B"), "");  // its own Path already leads to it
}

TEST(UsrlocRedisConfig, UrlAndSentinels) {
    RedisConfig c;
    std::string err;
    ASSERT_TRUE(parseRedisConfig("redis://:secret@10.0.0.5:6380/2", "", "m", 50, &c, &err)) << err;
    EXPECT_EQ(c.master.host, "10.0.0.5");
    EXPECT_EQ(c.master.port, 6380);
    EXPECT_EQ(c.password, "secret");
    EXPECT_EQ(c.db, 2);
    ASSERT_TRUE(parseRedisConfig("redis://localhost", "h1:1, h2", "m", 50, &c, &err)) << err;
    EXPECT_EQ(c.master.port, 6379);
    ASSERT_EQ(c.sentinels.size(), 2u);
    EXPECT_EQ(c.sentinels[0].port, 1);
    EXPECT_EQ(c.sentinels[1].host, "h2");
    EXPECT_EQ(c.sentinels[1].port, 26379);
    EXPECT_FALSE(parseRedisConfig("http://x", "", "m", 50, &c, &err));
    EXPECT_FALSE(parseRedisConfig("redis://x:99999", "", "m", 50, &c, &err));
    EXPECT_FALSE(parseRedisConfig("redis://x/abc", "", "m", 50, &c, &err));
    EXPECT_FALSE(parseRedisConfig("redis://x", "h1:1", "", 50, &c, &err));
}

}  // namespace
}  // namespace osprey::usrloc
