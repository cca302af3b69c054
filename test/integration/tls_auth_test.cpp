// Certificates on both sides with the real osprey: mutual TLS (a client certificate required
// and verified; untrusted, expired and missing ones refused with a log line that says why) and
// SNI (two server names, two certificates, each client gets the right one; no or an unknown
// name gets the default).
#include <gtest/gtest.h>

#include <string>

#include "test/support/sip_router.h"
#include "test/support/sip_tls_peer.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

const char* kScript = R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)";

struct Certs {
    TempDir dir;
    TestPki pki{dir.path()};
    TestPki stranger{dir.path(), "stranger-ca"};
    CertFiles server = pki.issue("server", CertSpec("localhost", {"localhost"}));
    CertFiles a = pki.issue("a", CertSpec("a.example", {"a.example"}));
    CertFiles b = pki.issue("b", CertSpec("b.example", {"b.example"}).rsaKey());
    CertFiles alice = pki.issue("alice", CertSpec("alice"));
    CertFiles expired = pki.issue("expired", CertSpec("old-alice").expiredCert());
    CertFiles mallory = stranger.issue("mallory", CertSpec("mallory"));
};

SipRouterOptions routerOptions(const std::string& tlsGroup) {
    SipRouterOptions o;
    o.tls = true;
    o.extra = "tcp_children = 2;\n" + tlsGroup;
    return o;
}

std::string mtlsGroup(const Certs& c) {
    return "tls = {\n  certificate = \"" + c.server.cert + "\";\n  private_key = \"" +
           c.server.key + "\";\n  ca_list = \"" + c.pki.caFile() +
           "\";\n  verify_certificate = true;\n  require_certificate = true;\n};\n";
}

bool answered(SipTlsConn& c, const std::string& callId) {
    if (!c.ok()) return false;
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    if (!c.send(buildTlsRequest(c, r))) return false;
    auto resp = c.receiveMsg(2000);
    return resp && resp->status() == 200;
}

TEST(TlsAuth, ClientCertificateFromOurCaIsAccepted) {
    Certs c;
    SipRouter router(kScript, routerOptions(mtlsGroup(c)));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn conn(router.tlsPort(), TlsClientOptions()
                                          .ca(c.pki.caFile())
                                          .serverName("localhost")
                                          .clientCert(c.alice.cert, c.alice.key));
    ASSERT_TRUE(conn.ok()) << conn.error();
    EXPECT_TRUE(answered(conn, "mtls-ok")) << router.log();
}

struct Refusal {
    const char* name;
    const char* why;  // in the server's log line
};

class TlsAuthRefused : public ::testing::TestWithParam<Refusal> {};

TEST_P(TlsAuthRefused, HandshakeFailsAndTheLogSaysWhy) {
    Certs c;
    SipRouter router(kScript, routerOptions(mtlsGroup(c)));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string which = GetParam().name;
    TlsClientOptions o = TlsClientOptions().ca(c.pki.caFile()).serverName("localhost");
    if (which == "untrusted") o.clientCert(c.mallory.cert, c.mallory.key);
    if (which == "expired") o.clientCert(c.expired.cert, c.expired.key);
    SipTlsConn conn(router.tlsPort(), o);
    // With TLS 1.3 the client may finish before the server has judged its certificate: the
    // refusal then shows as a closed connection instead of an answer.
    EXPECT_FALSE(answered(conn, "mtls-" + which));
    EXPECT_NE(router.process().waitForLog(std::string("TLS handshake from 127.0.0.1:") +
                                              std::to_string(conn.localPort()) + " failed: ",
                                          3000),
              std::string::npos)
        << router.log();
    EXPECT_NE(router.log().find(GetParam().why), std::string::npos) << router.log();
}

INSTANTIATE_TEST_SUITE_P(
    Clients, TlsAuthRefused,
    ::testing::Values(Refusal{"untrusted",
                              "certificate rejected: unable to get local issuer certificate "
                              "(peer certificate /O=Osprey tests/CN=mallory)"},
                      Refusal{"expired",
                              "certificate rejected: certificate has expired "
                              "(peer certificate /O=Osprey tests/CN=old-alice)"},
                      Refusal{"missing", "peer did not return a certificate"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TlsAuth, SniPicksTheCertificateOfTheServerName) {
    Certs c;
    const std::string group =
        "tls = {\n  certificate = \"" + c.server.cert + "\";\n  private_key = \"" + c.server.key +
        "\";\n  server = (\n    { server_name = \"a.example\"; certificate = \"" + c.a.cert +
        "\"; private_key = \"" + c.a.key +
        "\"; },\n    { server_name = \"b.example\"; certificate = \"" + c.b.cert +
        "\"; private_key = \"" + c.b.key + "\"; }\n  );\n};\n";
    SipRouter router(kScript, routerOptions(group));
    ASSERT_TRUE(router.start()) << router.log();
    for (const std::string name : {"a.example", "b.example"}) {
        SipTlsConn conn(router.tlsPort(), TlsClientOptions().ca(c.pki.caFile()).serverName(name));
        ASSERT_TRUE(conn.ok()) << name << ": " << conn.error();
        EXPECT_EQ(conn.peerCn(), name);
        EXPECT_TRUE(answered(conn, "sni-" + name)) << router.log();
    }
    SipTlsConn none(router.tlsPort());
    ASSERT_TRUE(none.ok()) << none.error();
    EXPECT_EQ(none.peerCn(), "localhost") << "no SNI: the default certificate";
    SipTlsConn unknown(router.tlsPort(), TlsClientOptions().serverName("c.example"));
    ASSERT_TRUE(unknown.ok()) << unknown.error();
    EXPECT_EQ(unknown.peerCn(), "localhost") << "an unknown name: the default certificate";
}

TEST(TlsAuth, SniProfileCanRequireAClientCertificateWhereTheDefaultDoesNot) {
    Certs c;
    const std::string group =
        "tls = {\n  certificate = \"" + c.server.cert + "\";\n  private_key = \"" + c.server.key +
        "\";\n  server = ( { server_name = \"a.example\"; certificate = \"" + c.a.cert +
        "\"; private_key = \"" + c.a.key + "\"; ca_list = \"" + c.pki.caFile() +
        "\"; verify_certificate = true; require_certificate = true; } );\n};\n";
    SipRouter router(kScript, routerOptions(group));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn open(router.tlsPort(), TlsClientOptions().serverName("localhost"));
    EXPECT_TRUE(answered(open, "default-open")) << open.error() << router.log();
    SipTlsConn without(router.tlsPort(), TlsClientOptions().serverName("a.example"));
    EXPECT_FALSE(answered(without, "a-without"));
    SipTlsConn with(
        router.tlsPort(),
        TlsClientOptions().serverName("a.example").clientCert(c.alice.cert, c.alice.key));
    EXPECT_TRUE(answered(with, "a-with")) << with.error() << router.log();
}

}  // namespace
}  // namespace osprey::testsupport
