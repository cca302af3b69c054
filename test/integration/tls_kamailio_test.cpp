// Kamailio 5.6 with its tls module as the TLS peer, both ways, with the real osprey: a UDP
// client's request goes through osprey over TLS to Kamailio and the answer comes back; and
// through Kamailio over TLS to osprey and back. Kamailio runs in its own process group, stopped
// by its pid when the test ends.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/timer/clock.h"
#include "test/support/osprey_process.h"
#include "test/support/read_file.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

const char* kKamailio = "/usr/sbin/kamailio";

class Kamailio {
public:
    // Listens on udpPort and tlsPort; forwards what is not for "kam" to osprey's TLS port.
    Kamailio(const TempDir& dir, const CertFiles& cert, uint16_t udpPort, uint16_t tlsPort,
             uint16_t ospreyTlsPort)
        : dir_(dir), udpPort_(udpPort), tlsPort_(tlsPort) {
        dir.write("kamailio-tls.cfg",
                  "[server:default]\nmethod = TLSv1.2+\nverify_certificate = "
                  "no\nrequire_certificate = no\nprivate_key = " +
                      cert.key + "\ncertificate = " + cert.cert +
                      "\n\n[client:default]\nverify_certificate = no\n"
                      "require_certificate = no\n");
        dir.write("kamailio.cfg",
                  "#!KAMAILIO\nlisten=udp:127.0.0.1:" + std::to_string(udpPort_) +
                      "\nlisten=tls:127.0.0.1:" + std::to_string(tlsPort_) +
                      "\nenable_tls=yes\nchildren=1\ntcp_children=1\nauto_aliases=no\n"
                      "debug=2\nlog_stderror=yes\ndns=no\nrev_dns=no\n"
                      "loadmodule \"tls.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\n"
                      "modparam(\"tls\", \"config\", \"" +
                      dir.file("kamailio-tls.cfg") +
                      "\")\n"
                      "request_route {\n"
                      "    if ($rU == \"kam\") { sl_send_reply(\"200\", \"OK from Kamailio\"); "
                      "exit; }\n"
                      "    $du = \"sip:127.0.0.1:" +
                      std::to_string(ospreyTlsPort) +
                      ";transport=tls\";\n"
                      "    forward();\n    exit;\n}\n");
    }
    ~Kamailio() { stop(); }

    bool start() {
        const std::string cfg = dir_.file("kamailio.cfg");
        const std::string log = dir_.file("kamailio.log");
        pid_ = fork();
        if (pid_ < 0) return false;
        if (pid_ == 0) {
            setpgid(0, 0);  // its workers with it, so the test can stop them all
            const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 1);
            dup2(fd, 2);
            execl(kKamailio, kKamailio, "-DD", "-E", "-f", cfg.c_str(), "-m", "64", "-M", "8", "-Y",
                  dir_.path().c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        setpgid(pid_, pid_);
        // Ready when the TLS listener accepts.
        const int64_t deadline = timer::nowMs() + 10000;
        while (timer::nowMs() < deadline) {
            int st;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            SipTcpConn probe(tlsPort_, AF_INET, 200);
            if (probe.ok()) return true;
            usleep(50 * 1000);
        }
        return false;
    }
    void stop() {
        if (pid_ <= 0) return;
        kill(-pid_, SIGTERM);
        const int64_t deadline = timer::nowMs() + 3000;
        while (timer::nowMs() < deadline && waitpid(pid_, nullptr, WNOHANG) == 0) usleep(20000);
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    uint16_t udpPort() const { return udpPort_; }
    uint16_t tlsPort() const { return tlsPort_; }
    std::string log() const { return readFile(dir_.file("kamailio.log")); }

private:
    const TempDir& dir_;
    uint16_t udpPort_;
    uint16_t tlsPort_;
    pid_t pid_ = -1;
};

TEST(TlsKamailio, OspreyToKamailioAndKamailioToOspreyOverTls) {
    TempDir dir;
    TestPki pki(dir.path());
    CertFiles osp = pki.issue("osprey", CertSpec("osprey.test"));
    CertFiles kam = pki.issue("kamailio", CertSpec("kamailio.test"));
    const uint16_t kamUdp = freePort(SOCK_DGRAM);
    const uint16_t kamTls = freePort(SOCK_STREAM);
    SipRouterOptions o;
    o.tls = true;
    o.modules = "{ name = \"sl\"; }, { name = \"pv\"; }";
    o.extra = "tcp_children = 2;\ntls = {\n  certificate = \"" + osp.cert +
              "\";\n  private_key = \"" + osp.key + "\";\n};\n";
    SipRouter router(R"(
function ksr_request_route()
    if KSR.pv.get("$rU") == "osp" then
        KSR.sl.sl_send_reply(200, "OK from Osprey over " .. KSR.pv.get("$proto"))
        return
    end
    KSR.setdsturi("sip:127.0.0.1:)" +
                         std::to_string(kamTls) +
                         R"(;transport=tls")
    KSR.forward()
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    Kamailio k(dir, kam, kamUdp, kamTls, router.tlsPort());
    ASSERT_TRUE(k.start()) << k.log();
    SipPeer uac;
    ASSERT_TRUE(uac.ok());

    // Kamailio -> osprey: a UDP request to Kamailio, forwarded over TLS, answered by osprey.
    SipRequest in;
    in.ruri = "sip:osp@127.0.0.1";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, in), k.udpPort()));
    auto a = uac.receiveCall(in.callId, 5000);
    ASSERT_TRUE(a) << router.log() << k.log();
    EXPECT_EQ(a->status(), 200);
    EXPECT_EQ(a->reason(), "OK from Osprey over tls");

    // osprey -> Kamailio: a UDP request to osprey, forwarded over TLS, answered by Kamailio.
    SipRequest out;
    out.ruri = "sip:kam@127.0.0.1";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, out), router.port()));
    auto b = uac.receiveCall(out.callId, 5000);
    ASSERT_TRUE(b) << router.log() << k.log();
    EXPECT_EQ(b->status(), 200);
    EXPECT_EQ(b->reason(), "OK from Kamailio");
}

}  // namespace
}  // namespace osprey::testsupport
