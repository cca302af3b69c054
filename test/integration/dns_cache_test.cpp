// The shared DNS cache against a local dnsmasq (its query log counts what reached it): an
// answer serves every worker until its TTL runs out, then the name is asked again; a name
// that does not exist is answered 478 from the cache for dns_cache_negative_ttl.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "test/support/dns_servers.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

using Clock = std::chrono::steady_clock;

int64_t msSince(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

const char* kScript = R"(
function ksr_request_route()
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
    return 1
end
)";

SipRouterOptions options(const Dnsmasq& dns, const std::string& extra) {
    SipRouterOptions o;
    o.extra = "dns_servers = \"" + dns.server() + "\";\ndns_stateless_wait = 2000;\n" + extra;
    return o;
}

// A MESSAGE to uri; returns the status the UAC got (0: none) or 1 when `to` received it.
int send(SipPeer& uac, uint16_t routerPort, const std::string& uri, SipPeer& to) {
    SipRequest m;
    m.method = "MESSAGE";
    m.ruri = uri;
    if (!uac.sendTo(buildRequest(uac, m), routerPort)) return 0;
    if (to.receiveCall(m.callId, 500)) return 1;
    auto r = uac.receiveCall(m.callId, 2500);
    return r ? r->status() : 0;
}

TEST(DnsCache, AnAnswerIsReusedUntilItsTtlRunsOut) {
    SipPeer uac, uas;
    Dnsmasq dns({"--host-record=ttl.test,127.0.0.1"}, 2);  // TTL 2 s
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, ""));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string uri = "sip:bob@ttl.test:" + std::to_string(uas.port());

    ASSERT_EQ(send(uac, router.port(), uri, uas), 1) << router.log();
    const Clock::time_point resolved = Clock::now();
    const size_t asked = dns.queries("ttl.test");
    ASSERT_GE(asked, 1u) << dns.log();
    ASSERT_EQ(send(uac, router.port(), uri, uas), 1);
    EXPECT_EQ(dns.queries("ttl.test"), asked) << "a cache hit";

    // Once the TTL has run out the next request asks again (bounded: 5 s).
    int64_t askedAgainAfter = -1;
    while (msSince(resolved) < 5000) {
        ASSERT_EQ(send(uac, router.port(), uri, uas), 1);
        if (dns.queries("ttl.test") > asked) {
            askedAgainAfter = msSince(resolved);
            break;
        }
    }
    ASSERT_GE(askedAgainAfter, 0) << "never asked again\n" << dns.log();
    EXPECT_GE(askedAgainAfter, 1900) << "asked again before the TTL ran out";
}

// Past its TTL an answer still serves while the name is asked again: with the server gone,
// the request goes to the old address at once instead of waiting for a query that fails.
TEST(DnsCache, AnExpiredAnswerServesWhileItIsAskedAgain) {
    SipPeer uac, uas;
    Dnsmasq dns({"--host-record=stale.test,127.0.0.1"}, 1);  // TTL 1 s
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, "dns_retr_time = 3;\ndns_retr_no = 1;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string uri = "sip:bob@stale.test:" + std::to_string(uas.port());
    ASSERT_EQ(send(uac, router.port(), uri, uas), 1) << router.log();
    dns.stop();
    // Not a synchronisation: the TTL has to run out.
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    const Clock::time_point sent = Clock::now();
    EXPECT_EQ(send(uac, router.port(), uri, uas), 1) << router.log();
    EXPECT_LT(msSince(sent), 400) << "waited for the refresh";
}

TEST(DnsCache, NoSuchNameIsAnswered478FromTheCacheForTheNegativeTtl) {
    SipPeer uac, uas;
    Dnsmasq dns({"--host-record=other.test,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, "dns_cache_negative_ttl = 3;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string uri = "sip:bob@missing.test:" + std::to_string(uas.port());

    EXPECT_EQ(send(uac, router.port(), uri, uas), 478) << router.log();
    const Clock::time_point failed = Clock::now();
    const size_t asked = dns.queries("missing.test");
    ASSERT_GE(asked, 1u) << dns.log();
    EXPECT_EQ(send(uac, router.port(), uri, uas), 478);
    EXPECT_EQ(dns.queries("missing.test"), asked) << "cached";

    int64_t askedAgainAfter = -1;
    while (msSince(failed) < 7000) {
        EXPECT_EQ(send(uac, router.port(), uri, uas), 478);
        if (dns.queries("missing.test") > asked) {
            askedAgainAfter = msSince(failed);
            break;
        }
    }
    ASSERT_GE(askedAgainAfter, 0) << dns.log();
    EXPECT_GE(askedAgainAfter, 2900);
}

}  // namespace
}  // namespace osprey::testsupport
