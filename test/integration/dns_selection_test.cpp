// RFC 3263 target selection against a local dnsmasq: SRV records tried by priority, a weight
// of 0 never chosen over a positive weight (dns_srv_lb), NAPTR order choosing the SRV name
// (dns_try_naptr), and tm failing over to the next SRV target when the first answers 503
// (use_dns_failover), with a new Via branch.
#include <gtest/gtest.h>

#include <string>

#include "test/support/dns_servers.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

// "stateless" as R-URI user: KSR.forward(); anything else: t_relay. The next hop is the
// R-URI's host, so the test chooses the name.
const char* kScript = R"(
function ksr_request_route()
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    if KSR.pv.get("$rU") == "stateless" then
        if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
        return 1
    end
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end
)";

SipRouterOptions options(const Dnsmasq& dns, const std::string& extra) {
    SipRouterOptions o;
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"pv\"; }, { name = \"tm\"; }";
    // A stateless request waits for the first answer up to 2 s here (the machine may be busy).
    o.extra = "dns_servers = \"" + dns.server() + "\";\ndns_stateless_wait = 2000;\n" + extra;
    return o;
}

std::string srv(const std::string& name, const std::string& target, uint16_t port, int prio,
                int weight) {
    return "--srv-host=" + name + "," + target + "," + std::to_string(port) + "," +
           std::to_string(prio) + "," + std::to_string(weight);
}

// Sends `count` stateless MESSAGEs to sip:stateless@<host>; returns how many reached each peer.
void sendStateless(SipPeer& uac, uint16_t routerPort, const std::string& host, int count,
                   SipPeer& a, SipPeer& b, int* atA, int* atB) {
    for (int i = 0; i < count; ++i) {
        SipRequest m;
        m.method = "MESSAGE";
        m.ruri = "sip:stateless@" + host;
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, m), routerPort));
        // Whichever peer gets it answers; the other sees nothing of this call.
        if (auto r = a.receiveCall(m.callId, 300)) {
            ++*atA;
            continue;
        }
        if (auto r = b.receiveCall(m.callId, 3000)) ++*atB;
    }
}

TEST(DnsSelection, SrvTargetsAreTriedByPriority) {
    SipPeer uac, high, low;
    Dnsmasq dns({srv("_sip._udp.svc.test", "one.test", low.port(), 20, 5),
                 srv("_sip._udp.svc.test", "two.test", high.port(), 10, 5),
                 "--host-record=one.test,127.0.0.1", "--host-record=two.test,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, ""));
    ASSERT_TRUE(router.start()) << router.log();
    int atHigh = 0, atLow = 0;
    sendStateless(uac, router.port(), "svc.test", 4, high, low, &atHigh, &atLow);
    EXPECT_EQ(atHigh, 4) << router.log();
    EXPECT_EQ(atLow, 0);
    EXPECT_EQ(dns.queries("_sip._udp.svc.test"), 1u) << "the cache answers the repeats";
}

TEST(DnsSelection, WeightZeroNeverWinsOverAPositiveWeight) {
    SipPeer uac, zero, weighted;
    Dnsmasq dns({srv("_sip._udp.w.test", "zero.test", zero.port(), 10, 0),
                 srv("_sip._udp.w.test", "pos.test", weighted.port(), 10, 50),
                 "--host-record=zero.test,127.0.0.1", "--host-record=pos.test,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, "dns_srv_lb = true;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    int atZero = 0, atWeighted = 0;
    sendStateless(uac, router.port(), "w.test", 6, weighted, zero, &atWeighted, &atZero);
    EXPECT_EQ(atWeighted, 6) << router.log();
    EXPECT_EQ(atZero, 0);
}

TEST(DnsSelection, NaptrOrderChoosesTheSrvName) {
    SipPeer uac, early, late;
    Dnsmasq dns({"--naptr-record=n.test,20,10,s,SIP+D2U,,_sip._udp.late.test",
                 "--naptr-record=n.test,10,10,s,SIP+D2U,,_sip._udp.early.test",
                 srv("_sip._udp.late.test", "one.test", late.port(), 10, 5),
                 srv("_sip._udp.early.test", "one.test", early.port(), 10, 5),
                 "--host-record=one.test,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, "dns_try_naptr = true;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    int atEarly = 0, atLate = 0;
    sendStateless(uac, router.port(), "n.test", 3, early, late, &atEarly, &atLate);
    EXPECT_EQ(atEarly, 3) << router.log();
    EXPECT_EQ(atLate, 0);
    EXPECT_EQ(dns.queries("n.test"), 1u);
}

TEST(DnsSelection, TmFailsOverToTheNextTargetOn503) {
    SipPeer uac, first, second;
    Dnsmasq dns({srv("_sip._udp.fo.test", "one.test", first.port(), 10, 5),
                 srv("_sip._udp.fo.test", "two.test", second.port(), 20, 5),
                 "--host-record=one.test,127.0.0.1", "--host-record=two.test,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouter router(kScript, options(dns, "use_dns_failover = true;\n"));
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@fo.test";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto toFirst = first.receiveCall(inv.callId, 5000);
    ASSERT_TRUE(toFirst) << router.log();
    ASSERT_TRUE(first.sendBack(buildResponse(*toFirst, 503, "Service Unavailable"), *toFirst));
    auto toSecond = second.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(toSecond) << router.log();
    EXPECT_EQ(toSecond->method(), "INVITE");
    EXPECT_NE(toSecond->topBranch(), toFirst->topBranch()) << "a new branch has its own id";
    ASSERT_TRUE(second.sendBack(buildResponse(*toSecond, 200, "OK"), *toSecond));
    std::unique_ptr<ReceivedMsg> final;
    while (auto m = uac.receiveCall(inv.callId, 3000)) {
        if (m->status() >= 200) {
            final = std::move(m);
            break;
        }
    }
    ASSERT_TRUE(final) << router.log();
    EXPECT_EQ(final->status(), 200) << "the 503 was not the answer";
    // The 503's branch got its ACK (hop by hop).
    auto ack = first.receiveCall(inv.callId, 2000);
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->method(), "ACK");
}

TEST(DnsSelection, TmFailsOverWhenATargetNeverAnswers) {
    SipPeer uac, silent, second;
    Dnsmasq dns({srv("_sip._udp.quiet.test", "one.test", silent.port(), 10, 5),
                 srv("_sip._udp.quiet.test", "two.test", second.port(), 20, 5),
                 "--host-record=one.test,127.0.0.1", "--host-record=two.test,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipRouterOptions o = options(dns, "use_dns_failover = true;\n");
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"pv\"; }, "
        "{ name = \"tm\"; params = { fr_timer = 1000; }; }";
    SipRouter router(kScript, o);
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest msg;
    msg.method = "MESSAGE";
    msg.ruri = "sip:bob@quiet.test";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, msg), router.port()));
    auto toSilent = silent.receiveCall(msg.callId, 3000);
    ASSERT_TRUE(toSilent) << router.log();
    // No answer: after fr_timer the next target gets it, with a branch of its own.
    auto toSecond = second.receiveCall(msg.callId, 4000);
    ASSERT_TRUE(toSecond) << router.log();
    EXPECT_NE(toSecond->topBranch(), toSilent->topBranch());
    ASSERT_TRUE(second.sendBack(buildResponse(*toSecond, 200, "OK"), *toSecond));
    auto ok = uac.receiveCall(msg.callId, 3000);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200) << "not the silent target's 408";
}

}  // namespace
}  // namespace osprey::testsupport
