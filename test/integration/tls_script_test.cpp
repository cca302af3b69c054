// What a script and an operator see of TLS with the real osprey: the $tls_* pseudo-variables
// and KSR.tls.is_peer_verified() for a request over mutual TLS (and nothing over UDP), the RPC
// commands tls.list, tls.info and tls.options through the real kamcmd, and tls.reload: new
// certificates for new handshakes while an existing connection goes on, and a reload with a
// broken file refused with the old certificate still served.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "test/support/osprey_process.h"
#include "test/support/read_file.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tls_peer.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

// The reason phrase carries what the test asks for (by Call-ID prefix).
const char* kScript = R"(
local function pv(name) return tostring(KSR.pv.get(name)) end
function ksr_request_route()
    local ci = KSR.pv.get("$ci")
    local out = pv("$tls_version") .. "|" .. pv("$tls_cipher_info") .. "|" ..
        pv("$tls_cipher_bits") .. "|" .. pv("$tls_peer_subject_cn") .. "|" ..
        pv("$tls_peer_verified") .. "|" .. pv("$tls_peer_server_name") .. "|" ..
        KSR.tls.is_peer_verified()
    if string.sub(ci, 1, 6) == "issuer" then out = pv("$tls_peer_issuer") end
    if string.sub(ci, 1, 4) == "desc" then out = pv("$tls_description") end
    KSR.sl.sl_send_reply(200, out)
end
)";

struct Files {
    TempDir dir;
    TestPki pki{dir.path()};
    CertFiles server = pki.issue("server", CertSpec("first.example", {"first.example"}));
    CertFiles alice = pki.issue("alice", CertSpec("alice"));
};

SipRouterOptions scriptOptions(const Files& f) {
    SipRouterOptions o;
    o.tls = true;
    o.controlSocket = true;
    o.modules = "{ name = \"sl\"; }, { name = \"pv\"; }, { name = \"tls\"; }";
    o.extra = "tcp_children = 2;\ntls = {\n  certificate = \"" + f.server.cert +
              "\";\n  private_key = \"" + f.server.key + "\";\n  ca_list = \"" + f.pki.caFile() +
              "\";\n  verify_certificate = true;\n};\n";
    return o;
}

RunResult kamcmd(SipRouter& r, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-s", "unix:" + r.process().dir().file("osprey_ctl")};
    a.insert(a.end(), args.begin(), args.end());
    return runOsprey(a, 10000, "/usr/sbin/kamcmd");
}

std::unique_ptr<ReceivedMsg> ask(SipTlsConn& c, const std::string& callId) {
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    if (!c.send(buildTlsRequest(c, r))) return nullptr;
    return c.receiveMsg(3000);
}

TEST(TlsScript, PseudoVariablesAndIsPeerVerified) {
    Files f;
    SipRouter router(kScript, scriptOptions(f));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort(), TlsClientOptions()
                                       .ca(f.pki.caFile())
                                       .serverName("first.example")
                                       .clientCert(f.alice.cert, f.alice.key));
    ASSERT_TRUE(c.ok()) << c.error();
    auto resp = ask(c, "pv-mtls");
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "TLSv1.3|TLS_AES_256_GCM_SHA384|256|alice|1|first.example|1");
    auto issuer = ask(c, "issuer-1");
    ASSERT_TRUE(issuer);
    EXPECT_EQ(issuer->reason(), "/O=Osprey tests/CN=Osprey test CA ca");
    auto desc = ask(c, "desc-1");
    ASSERT_TRUE(desc);
    EXPECT_EQ(desc->reason().rfind("TLS_AES_256_GCM_SHA384", 0), 0u) << desc->reason();
    EXPECT_NE(desc->reason().find("Enc=AESGCM(256)"), std::string::npos) << desc->reason();

    // Without a client certificate: not verified.
    SipTlsConn anon(router.tlsPort(), TlsClientOptions().tls12());
    ASSERT_TRUE(anon.ok()) << anon.error();
    auto r2 = ask(anon, "pv-anon");
    ASSERT_TRUE(r2) << router.log();
    EXPECT_EQ(r2->reason().substr(0, 8), "TLSv1.2|");
    EXPECT_NE(r2->reason().find("|nil|0|nil|-1"), std::string::npos) << r2->reason();

    // Over UDP there is no TLS at all.
    SipPeer udp;
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    ASSERT_TRUE(udp.sendTo(buildRequest(udp, r), router.port()));
    auto r3 = udp.receiveCall(r.callId, 3000);
    ASSERT_TRUE(r3) << router.log();
    EXPECT_EQ(r3->reason(), "nil|nil|nil|nil|nil|nil|-1");
}

TEST(TlsScript, RpcListInfoAndOptions) {
    Files f;
    SipRouter router(kScript, scriptOptions(f));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort(), TlsClientOptions().serverName("first.example"));
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(ask(c, "rpc-1")) << router.log();
    RunResult list = kamcmd(router, {"tls.list"});
    EXPECT_EQ(list.exitCode, 0) << list.output;
    EXPECT_NE(list.output.find("src_port: " + std::to_string(c.localPort())), std::string::npos)
        << list.output;
    EXPECT_NE(list.output.find("cipher: TLSv1.3 TLS_AES_256_GCM_SHA384"), std::string::npos)
        << list.output;
    EXPECT_NE(list.output.find("state: established"), std::string::npos) << list.output;
    RunResult info = kamcmd(router, {"tls.info"});
    EXPECT_NE(info.output.find("opened_connections: 1"), std::string::npos) << info.output;
    RunResult options = kamcmd(router, {"tls.options"});
    EXPECT_NE(options.output.find("handshake_timeout: 10"), std::string::npos) << options.output;
    EXPECT_NE(options.output.find("certificate: " + f.server.cert), std::string::npos)
        << options.output;
    EXPECT_NE(options.output.find("method: TLSv1.2+"), std::string::npos) << options.output;
}

TEST(TlsScript, ReloadRotatesCertificatesWithoutARestart) {
    Files f;
    SipRouter router(kScript, scriptOptions(f));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn before(router.tlsPort());
    ASSERT_TRUE(before.ok()) << before.error();
    EXPECT_EQ(before.peerCn(), "first.example");
    ASSERT_TRUE(ask(before, "before"));

    // New files under the same names, then tls.reload.
    f.pki.issue("server", CertSpec("second.example", {"second.example"}));
    RunResult reload = kamcmd(router, {"tls.reload"});
    EXPECT_EQ(reload.exitCode, 0) << reload.output;
    EXPECT_NE(reload.output.find("Ok. TLS configuration reloaded."), std::string::npos)
        << reload.output;
    // Both workers take the new certificate for their next handshake.
    for (int i = 0; i < 4; ++i) {
        SipTlsConn after(router.tlsPort());
        ASSERT_TRUE(after.ok()) << after.error();
        EXPECT_EQ(after.peerCn(), "second.example") << i;
        EXPECT_TRUE(ask(after, "after-" + std::to_string(i))) << router.log();
    }
    // The connection made before goes on.
    EXPECT_TRUE(ask(before, "before-again")) << router.log();

    // A broken key: refused, and the certificate in force stays.
    f.dir.write("server.key", "not a key\n");
    RunResult bad = kamcmd(router, {"tls.reload"});
    EXPECT_NE(bad.output.find("not a PEM private key"), std::string::npos) << bad.output;
    SipTlsConn still(router.tlsPort());
    ASSERT_TRUE(still.ok()) << still.error();
    EXPECT_EQ(still.peerCn(), "second.example");
}

// Requests keep coming over old and new connections while the certificates are reloaded
// three times: every one is answered.
TEST(TlsScript, ReloadUnderTrafficLosesNoRequest) {
    Files f;
    SipRouter router(kScript, scriptOptions(f));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn kept(router.tlsPort());
    ASSERT_TRUE(kept.ok()) << kept.error();
    int answered = 0;
    int asked = 0;
    for (int round = 0; round < 3; ++round) {
        f.pki.issue("server", CertSpec("round" + std::to_string(round) + ".example"));
        // The reload runs in the control process while this loop keeps the workers busy.
        const pid_t rpc = fork();
        ASSERT_GE(rpc, 0);
        if (rpc == 0) {
            RunResult r = kamcmd(router, {"tls.reload"});
            _exit(r.exitCode == 0 ? 0 : 1);
        }
        for (int i = 0; i < 10; ++i) {
            SipTlsConn fresh(router.tlsPort());
            ++asked;
            answered +=
                fresh.ok() && ask(fresh, "new-" + std::to_string(round * 10 + i)) != nullptr;
            ++asked;
            answered += ask(kept, "kept-" + std::to_string(round * 10 + i)) != nullptr;
        }
        int st = 0;
        ASSERT_EQ(waitpid(rpc, &st, 0), rpc);
        EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "tls.reload failed";
    }
    EXPECT_EQ(answered, asked) << router.log();
    SipTlsConn last(router.tlsPort());
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last.peerCn(), "round2.example");
}

}  // namespace
}  // namespace osprey::testsupport
