// Dialogs across TLS and UDP through tm and rr with the real osprey on loopback: a TLS caller
// and a UDP callee (double Record-Route with transport=tls, replies over the caller's
// connection, the callee's BYE sent back over that same connection), and a UDP caller whose
// INVITE makes osprey open a TLS connection to the callee (reused for the in-dialog BYE).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/integration/tm_test_util.h"
#include "test/support/dns_servers.h"
#include "test/support/sip_tls_peer.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

// Initial requests are record-routed and relayed statefully to `target`; in-dialog ones
// follow loose_route, statefully too.
std::string dialogScript(const std::string& target) {
    return R"(
function ksr_request_route()
    if KSR.is_ACK() then
        if KSR.siputils.has_totag() > 0 and KSR.rr.loose_route() > 0 then KSR.forward() end
        return
    end
    if KSR.tm.t_check_trans() == 0 then return end
    if KSR.siputils.has_totag() > 0 then
        if KSR.rr.loose_route() < 0 then
            KSR.sl.sl_send_reply(404, "No route")
            return
        end
        if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
        return
    end
    KSR.rr.record_route()
    KSR.setdsturi(")" +
           target + R"(")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)";
}

struct Pki {
    TempDir dir;
    TestPki pki{dir.path()};
    CertFiles server = pki.issue("server", CertSpec("localhost", {"localhost"}));
    CertFiles callee = pki.issue("callee", CertSpec("callee.example", {"callee.example"}));
};

SipRouterOptions options(const Pki& p) {
    SipRouterOptions o = tmRouterOptions("");
    o.modules += ", { name = \"siputils\"; }, { name = \"rr\"; }";
    o.tls = true;
    o.extra = "tcp_children = 2;\ntls = {\n  certificate = \"" + p.server.cert +
              "\";\n  private_key = \"" + p.server.key + "\";\n  ca_list = \"" + p.pki.caFile() +
              "\";\n  client = ( { verify_certificate = true; } );\n};\n";
    return o;
}

std::string answer(ReceivedMsg& req, const std::string& contact) {
    std::string extra;
    for (const std::string& rr : req.headers("Record-Route"))
        extra += "Record-Route: " + rr + "\r\n";
    extra += "Contact: <" + contact + ">\r\n";
    return buildResponse(req, 200, "OK", "uas-tag", extra);
}

std::string routes(const std::vector<std::string>& rrs, bool reversed) {
    std::string s;
    if (reversed) {
        for (auto it = rrs.rbegin(); it != rrs.rend(); ++it) s += "Route: " + *it + "\r\n";
    } else {
        for (const std::string& r : rrs) s += "Route: " + r + "\r\n";
    }
    return s;
}

std::unique_ptr<ReceivedMsg> waitStatus(SipTlsConn& c, const std::string& callId, int status) {
    for (int i = 0; i < 5; ++i) {
        auto m = c.receiveCall(callId, 3000);
        if (!m) return nullptr;
        if (!m->isRequest() && m->status() == status) return m;
    }
    return nullptr;
}

TEST(TlsDialog, TlsCallerUdpCalleeAndTheCalleesByeOverTheCallersConnection) {
    Pki p;
    SipPeer uas;
    ASSERT_TRUE(uas.ok());
    const std::string uasContact = "sip:bob@" + uas.hostPort();
    SipRouter router(dialogScript(uasContact), options(p));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn caller(router.tlsPort(),
                      TlsClientOptions().ca(p.pki.caFile()).serverName("localhost"));
    ASSERT_TRUE(caller.ok()) << caller.error();
    const std::string tlsRr =
        "<sip:127.0.0.1:" + std::to_string(router.tlsPort()) + ";transport=tls;r2=on;lr>";
    const std::string udpRr = "<sip:127.0.0.1:" + std::to_string(router.port()) + ";r2=on;lr>";

    SipRequest inv = invite();
    inv.from = "<sip:alice@example.com>;tag=alice-tag";
    const std::string callerContact = "sip:alice@" + caller.localHostPort() + ";transport=tls";
    inv.extraHeaders = "Contact: <" + callerContact + ">\r\n";
    ASSERT_TRUE(caller.send(buildTlsRequest(caller, inv)));
    auto trying = caller.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(trying) << router.log();
    EXPECT_EQ(trying->status(), 100);

    auto req = waitFor(uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->headers("Record-Route"), (std::vector<std::string>{udpRr, tlsRr}))
        << req->text();
    ASSERT_EQ(req->vias().size(), 2u);
    EXPECT_EQ(req->vias()[1].rfind("SIP/2.0/TLS ", 0), 0u) << req->vias()[1];

    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 180, "Ringing"), *req));
    ASSERT_TRUE(waitStatus(caller, inv.callId, 180)) << router.log();
    ASSERT_TRUE(uas.sendBack(answer(*req, uasContact), *req));
    auto ok = waitStatus(caller, inv.callId, 200);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->headers("Record-Route"), (std::vector<std::string>{udpRr, tlsRr}));

    // The callee hangs up: its BYE goes over UDP to us and over the caller's TLS connection
    // (the one the caller opened; no new connection) to the caller.
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = callerContact;
    bye.callId = inv.callId;
    bye.cseq = 7;
    bye.from = "<sip:bob@example.com>;tag=uas-tag";
    bye.to = inv.from;
    bye.extraHeaders = routes({udpRr, tlsRr}, false);
    ASSERT_TRUE(uas.sendTo(buildRequest(uas, bye), router.port()));
    std::unique_ptr<ReceivedMsg> byeIn;
    for (int i = 0; i < 5 && !(byeIn && byeIn->isRequest()); ++i)
        byeIn = caller.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(byeIn && byeIn->isRequest()) << router.log();
    EXPECT_EQ(byeIn->method(), "BYE");
    EXPECT_FALSE(byeIn->has("Route")) << byeIn->text();
    EXPECT_EQ(
        byeIn->vias()[0].rfind("SIP/2.0/TLS 127.0.0.1:" + std::to_string(router.tlsPort()), 0), 0u)
        << byeIn->text();
    ASSERT_TRUE(caller.send(buildResponse(*byeIn, 200, "OK", "")));
    auto byeOk = waitFor(uas, inv.callId, isStatus(200));
    ASSERT_TRUE(byeOk) << router.log();
    EXPECT_EQ(byeOk->header("CSeq"), "7 BYE");
}

TEST(TlsDialog, UdpCallerTlsCalleeOverAConnectionOspreyOpensAndReuses) {
    Pki p;
    SipPeer uac;
    SipTlsListener uas(p.callee.cert, p.callee.key);
    ASSERT_TRUE(uac.ok() && uas.ok());
    const std::string uasContact =
        "sip:bob@127.0.0.1:" + std::to_string(uas.port()) + ";transport=tls";
    // The callee's certificate names callee.example and the next hop is an address: the
    // default client profile (verify_certificate off, as Kamailio's) connects anyway.
    SipRouterOptions o = options(p);
    o.extra = "tcp_children = 2;\ntls = {\n  certificate = \"" + p.server.cert +
              "\";\n  private_key = \"" + p.server.key + "\";\n};\n";
    SipRouter router(dialogScript(uasContact), o);
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest inv = invite();
    inv.from = "<sip:alice@example.com>;tag=alice-tag";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto conn = uas.accept(3000);
    ASSERT_TRUE(conn && conn->ok()) << (conn ? conn->error() : "no connection") << router.log();
    auto req = conn->receiveCall(inv.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->vias()[0].rfind("SIP/2.0/TLS 127.0.0.1:" + std::to_string(router.tlsPort()), 0),
              0u)
        << req->text();
    const std::string tlsRr =
        "<sip:127.0.0.1:" + std::to_string(router.tlsPort()) + ";transport=tls;r2=on;lr>";
    const std::string udpRr = "<sip:127.0.0.1:" + std::to_string(router.port()) + ";r2=on;lr>";
    EXPECT_EQ(req->headers("Record-Route"), (std::vector<std::string>{tlsRr, udpRr}));

    ASSERT_TRUE(conn->send(answer(*req, uasContact)));
    auto ok = waitFor(uac, inv.callId, isStatus(200));
    ASSERT_TRUE(ok) << router.log();

    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = uasContact;
    bye.callId = inv.callId;
    bye.cseq = 2;
    bye.from = inv.from;
    bye.to = "<sip:bob@example.com>;tag=uas-tag";
    bye.extraHeaders = routes({tlsRr, udpRr}, true);
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), router.port()));
    std::unique_ptr<ReceivedMsg> byeIn;
    for (int i = 0; i < 5 && !(byeIn && byeIn->isRequest() && byeIn->method() == "BYE"); ++i)
        byeIn = conn->receiveCall(inv.callId, 3000);
    ASSERT_TRUE(byeIn && byeIn->method() == "BYE") << router.log();
    EXPECT_FALSE(uas.accept(200)) << "the BYE must reuse the connection of the INVITE";
    ASSERT_TRUE(conn->send(buildResponse(*byeIn, 200, "OK", "")));
    EXPECT_TRUE(waitFor(uac, inv.callId, isStatus(200))) << router.log();
}

// A next hop named by a host name: osprey sends that name as SNI and, with
// verify_certificate, accepts only a certificate for it (the name comes from the DNS here).
TEST(TlsDialog, OutgoingSniIsTheNextHopsHostAndItsCertificateIsChecked) {
    Pki p;
    Dnsmasq dns(
        {"--host-record=callee.example,127.0.0.1", "--host-record=wrong.example,127.0.0.1"});
    ASSERT_TRUE(dns.start()) << dns.log();
    SipPeer uac;
    SipTlsListener uas(p.callee.cert, p.callee.key);
    SipTlsListener other(p.callee.cert, p.callee.key);  // the same certificate, another port
    ASSERT_TRUE(uac.ok() && uas.ok() && other.ok());
    const std::string port = std::to_string(uas.port());
    const std::string otherPort = std::to_string(other.port());
    SipRouterOptions o = options(p);  // client profile: verify_certificate with our CA
    o.extra += "dns_servers = \"" + dns.server() + "\";\n";
    SipRouter router(R"(
function ksr_request_route()
    if KSR.tm.t_check_trans() == 0 then return end
    local port = ")" + port +
                         R"("
    if KSR.pv.get("$rU") == "wrong" then port = ")" +
                         otherPort + R"(" end
    KSR.setdsturi("sip:" .. KSR.pv.get("$rU") .. ".example:" .. port .. ";transport=tls")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     [&] {
                         o.modules += ", { name = \"pv\"; }";
                         return o;
                     }());
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest inv = invite("sip:callee@example.com");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto conn = uas.accept(3000);
    ASSERT_TRUE(conn && conn->ok()) << router.log();
    EXPECT_EQ(uas.lastSni(), "callee.example");
    ASSERT_TRUE(conn->receiveCall(inv.callId, 3000)) << router.log();

    // wrong.example leads to a server whose certificate does not name it.
    SipRequest wrong = invite("sip:wrong@example.com");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, wrong), router.port()));
    auto refused = other.accept(3000);
    ASSERT_TRUE(refused) << router.log();
    EXPECT_FALSE(refused->ok());
    EXPECT_EQ(other.lastSni(), "wrong.example");
    EXPECT_NE(router.process().waitForLog("TLS handshake to 127.0.0.1:" + otherPort +
                                              " failed: certificate rejected: hostname mismatch",
                                          3000),
              std::string::npos)
        << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
