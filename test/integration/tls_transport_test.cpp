// The TLS transport end to end with the real osprey on loopback: requests over TLS (our C++
// client and `openssl s_client`) answered over the same connection with $proto "tls", IPv6,
// TLS 1.2 and 1.3, session resumption across workers, REGISTER over TLS, and the handshake
// and certificate errors a client sees.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/timer/clock.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"
#include "test/support/sip_tls_peer.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

const char* kProtoScript = R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK " .. KSR.pv.get("$proto"))
end
)";

struct TlsSetup {
    TempDir dir;
    TestPki pki{dir.path()};
    CertFiles server = pki.issue("server", CertSpec("localhost", {"localhost"}));

    std::string group(const std::string& more = "") const {
        return "tls = {\n  certificate = \"" + server.cert + "\";\n  private_key = \"" +
               server.key + "\";\n" + more + "};\n";
    }
};

SipRouterOptions tlsOptions(const TlsSetup& s, const std::string& more = "", bool ipv6 = false) {
    SipRouterOptions o;
    o.tls = true;
    o.ipv6 = ipv6;
    o.modules = "{ name = \"sl\"; }, { name = \"pv\"; }";
    o.extra = "tcp_children = 2;\n" + s.group(more);
    return o;
}

std::string options(const SipTlsConn& c, const std::string& callId) {
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    return buildTlsRequest(c, r);
}

TEST(TlsTransport, OptionsOverTlsIsAnsweredOverTheSameConnection) {
    TlsSetup s;
    ASSERT_TRUE(s.pki.ok() && !s.server.cert.empty());
    SipRouter router(kProtoScript, tlsOptions(s));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort(), TlsClientOptions().ca(s.pki.caFile()).serverName("localhost"));
    ASSERT_TRUE(c.ok()) << c.error() << router.log();
    EXPECT_EQ(c.peerCn(), "localhost");
    EXPECT_EQ(c.version(), "TLSv1.3");
    ASSERT_TRUE(c.send(options(c, "tls-1")));
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_EQ(resp->reason(), "OK tls") << "$proto of a request over TLS";
    EXPECT_EQ(resp->viaParam(0, "rport"), std::to_string(c.localPort()));
    // The connection stays open for the next request.
    ASSERT_TRUE(c.send(options(c, "tls-2")));
    auto again = c.receiveMsg(3000);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->header("Call-ID"), "tls-2");
}

TEST(TlsTransport, Ipv6AndTls12) {
    TlsSetup s;
    SipRouter router(kProtoScript, tlsOptions(s, "", true));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort6(), TlsClientOptions().ca(s.pki.caFile()).tls12(), AF_INET6);
    ASSERT_TRUE(c.ok()) << c.error() << router.log();
    EXPECT_EQ(c.version(), "TLSv1.2");
    ASSERT_TRUE(c.send(options(c, "tls6")));
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "OK tls");
}

TEST(TlsTransport, PipelinedAndSplitMessagesAreFramedOverDecryptedBytes) {
    TlsSetup s;
    SipRouter router(kProtoScript, tlsOptions(s));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort());
    ASSERT_TRUE(c.ok()) << c.error();
    std::string all;
    for (int i = 1; i <= 30; ++i) all += options(c, "pipe-" + std::to_string(i));
    // One big write (many records) and then one message a few octets per record.
    ASSERT_TRUE(c.send(all));
    const std::string split = options(c, "split");
    for (size_t i = 0; i < split.size(); i += 7) ASSERT_TRUE(c.send(split.substr(i, 7)));
    for (int i = 1; i <= 30; ++i) {
        auto resp = c.receiveMsg(3000);
        ASSERT_TRUE(resp) << i << router.log();
        EXPECT_EQ(resp->header("Call-ID"), "pipe-" + std::to_string(i));
    }
    auto last = c.receiveMsg(3000);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->header("Call-ID"), "split");
}

TEST(TlsTransport, SessionTicketsResumeOnAnyWorker) {
    TlsSetup s;
    SipRouter router(kProtoScript, tlsOptions(s));
    ASSERT_TRUE(router.start()) << router.log();
    SSL_SESSION* session = nullptr;
    {
        SipTlsConn first(router.tlsPort(), TlsClientOptions().tls12());
        ASSERT_TRUE(first.ok()) << first.error();
        ASSERT_TRUE(first.send(options(first, "first")));
        ASSERT_TRUE(first.receiveMsg(3000));
        session = first.session() ? SSL_SESSION_dup(first.session()) : nullptr;
    }
    ASSERT_NE(session, nullptr);
    // Connections are spread over the two workers: several resumptions land on both.
    int resumed = 0;
    for (int i = 0; i < 4; ++i) {
        SipTlsConn again(router.tlsPort(), TlsClientOptions().tls12().resuming(session));
        ASSERT_TRUE(again.ok()) << again.error();
        resumed += again.resumed();
        ASSERT_TRUE(again.send(options(again, "again-" + std::to_string(i))));
        ASSERT_TRUE(again.receiveMsg(3000)) << router.log();
    }
    SSL_SESSION_free(session);
    EXPECT_EQ(resumed, 4) << "every worker decrypts the tickets of every other";
}

// `openssl s_client` as a real third-party client: its output file is polled for the answer,
// then it is stopped by its pid.
TEST(TlsTransport, OpensslSClientGetsAnAnswer) {
    TlsSetup s;
    SipRouter router(kProtoScript, tlsOptions(s));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string req =
        "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKsc1;"
        "rport\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: "
        "s-client-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    const std::string in = s.dir.write("req.txt", req);
    const std::string out = s.dir.file("out.txt");
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        const int fin = open(in.c_str(), O_RDONLY);
        const int fout = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fin, 0);
        dup2(fout, 1);
        dup2(fout, 2);
        const std::string target = "127.0.0.1:" + std::to_string(router.tlsPort());
        execlp("openssl", "openssl", "s_client", "-connect", target.c_str(), "-CAfile",
               s.pki.caFile().c_str(), "-servername", "localhost", "-verify_return_error",
               "-ign_eof", static_cast<char*>(nullptr));
        _exit(127);
    }
    std::string got;
    const int64_t deadline = timer::nowMs() + 5000;
    while (timer::nowMs() < deadline && got.find("SIP/2.0 200") == std::string::npos) {
        usleep(20 * 1000);
        got = readFile(out);
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    EXPECT_NE(got.find("SIP/2.0 200 OK tls"), std::string::npos) << got << router.log();
    EXPECT_NE(got.find("Verify return code: 0 (ok)"), std::string::npos) << got;
}

TEST(TlsTransport, RegisterOverTls) {
    TlsSetup s;
    SipRouterOptions o = tlsOptions(s);
    o.modules =
        "{ name = \"sl\"; }, { name = \"pv\"; }, { name = \"usrloc\"; }, { name = \"registrar\"; }";
    SipRouter router(R"(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return
    end
    KSR.sl.sl_send_reply(404, "Not here")
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort(), TlsClientOptions().ca(s.pki.caFile()).serverName("localhost"));
    ASSERT_TRUE(c.ok()) << c.error();
    SipRequest r;
    r.method = "REGISTER";
    r.ruri = "sip:127.0.0.1";
    r.from = "<sip:alice@127.0.0.1>;tag=reg1";
    r.to = "<sip:alice@127.0.0.1>";
    r.extraHeaders = "Contact: <sip:alice@" + c.localHostPort() + ";transport=tls>;expires=300\r\n";
    ASSERT_TRUE(c.send(buildTlsRequest(c, r)));
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200) << resp->text();
    EXPECT_NE(resp->header("Contact").find("transport=tls"), std::string::npos) << resp->text();
}

TEST(TlsTransport, PlainSipOnTheTlsPortIsCut) {
    TlsSetup s;
    SipRouter router(kProtoScript, tlsOptions(s));
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn plain(router.tlsPort());
    ASSERT_TRUE(plain.ok());
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    ASSERT_TRUE(plain.send(buildTcpRequest(plain, r)));
    EXPECT_TRUE(plain.waitClosed(3000)) << router.log();
    EXPECT_NE(router.process().waitForLog("TLS handshake from 127.0.0.1", 3000), std::string::npos)
        << router.log();
    // The server is alive and answers a real client after that.
    SipTlsConn c(router.tlsPort());
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.send(options(c, "after-plain")));
    EXPECT_TRUE(c.receiveMsg(3000));
}

TEST(TlsTransport, ClientThatDoesNotTrustTheServerFailsCleanly) {
    TlsSetup s;
    SipRouter router(kProtoScript, tlsOptions(s));
    ASSERT_TRUE(router.start()) << router.log();
    TestPki other(s.dir.path(), "other-ca");
    SipTlsConn c(router.tlsPort(), TlsClientOptions().ca(other.caFile()).serverName("localhost"));
    EXPECT_FALSE(c.ok());
    EXPECT_NE(c.error().find("unable to get local issuer certificate"), std::string::npos)
        << c.error();
    SipTlsConn wrongName(router.tlsPort(),
                         TlsClientOptions().ca(s.pki.caFile()).serverName("example.org"));
    EXPECT_FALSE(wrongName.ok());
    EXPECT_NE(wrongName.error().find("hostname mismatch"), std::string::npos) << wrongName.error();
}

}  // namespace
}  // namespace osprey::testsupport
