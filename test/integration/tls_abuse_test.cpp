// Hostile TLS peers against the real osprey: random bytes instead of a ClientHello, half a
// ClientHello then silence, a connection that never speaks, 300 such slow connections from
// several addresses while a real TLS client and a UDP client are still answered, the per
// source IP cap on pending handshakes, and renegotiation. Each is cut and counted (tls:*).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "core/timer/clock.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"
#include "test/support/sip_tls_peer.h"
#include "test/support/stats_reader.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

const char* kScript = R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)";

struct TlsFiles {
    TempDir dir;
    TestPki pki{dir.path()};
    CertFiles server = pki.issue("server", CertSpec("localhost", {"localhost"}));
};

SipRouterOptions abuseOptions(const TlsFiles& s, const std::string& more) {
    SipRouterOptions o;
    o.tls = true;
    o.controlSocket = true;
    o.extra = "tcp_children = 2;\ntls = {\n  certificate = \"" + s.server.cert +
              "\";\n  private_key = \"" + s.server.key + "\";\n" + more + "};\n";
    return o;
}

// A plain TCP connection from srcIp to 127.0.0.1:port (blocking connect, bounded); -1 on
// failure.
int connectFrom(const char* srcIp, uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, srcIp, &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// True once the server closed fd (EOF or reset) within timeoutMs.
bool closedWithin(int fd, int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    for (;;) {
        const int64_t left = deadline - timer::nowMs();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) != 1) return false;
        char buf[4096];
        const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
    }
}

// The start of a TLS record holding a ClientHello of 512 octets, of which only the first few
// come: the server must wait for the rest, until handshake_timeout.
const char kHalfHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

bool tlsAnswers(uint16_t port, const std::string& callId) {
    SipTlsConn c(port);
    if (!c.ok()) return false;
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    if (!c.send(buildTlsRequest(c, r))) return false;
    auto resp = c.receiveMsg(3000);
    return resp && resp->status() == 200;
}

bool udpAnswers(SipPeer& peer, uint16_t port, const std::string& callId) {
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    if (!peer.sendTo(buildRequest(peer, r), port)) return false;
    auto resp = peer.receiveCall(callId, 3000);
    return resp && resp->status() == 200;
}

TEST(TlsAbuse, RandomBytesAndBadRecordsAreCutAtOnce) {
    TlsFiles s;
    SipRouter router(kScript, abuseOptions(s, ""));  // handshake_timeout: the default 10 s
    ASSERT_TRUE(router.start()) << router.log();
    std::mt19937 rng(13);
    std::string junk(2000, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    junk[0] = 0x42;  // not a handshake record
    const int a = connectFrom("127.0.0.1", router.tlsPort());
    ASSERT_GE(a, 0);
    ASSERT_EQ(send(a, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
    EXPECT_TRUE(closedWithin(a, 3000)) << "cut long before handshake_timeout";
    close(a);
    // A record header with an impossible length: the same.
    const int b = connectFrom("127.0.0.1", router.tlsPort());
    ASSERT_GE(b, 0);
    ASSERT_EQ(send(b, "\x16\x03\x01\xff\xff", 5, MSG_NOSIGNAL), 5);
    EXPECT_TRUE(closedWithin(b, 3000));
    close(b);
    StatsReader reader;
    const auto v = reader.waitFor(router.process(), [](const StatsReader::Values& v) {
        return StatsReader::get(v, "tls:handshake_failed") >= 2;
    });
    EXPECT_GE(StatsReader::get(v, "tls:handshake_failed"), 2) << router.log();
    EXPECT_TRUE(tlsAnswers(router.tlsPort(), "after-junk")) << router.log();
}

TEST(TlsAbuse, HalfAClientHelloOrSilenceIsCutAtHandshakeTimeout) {
    TlsFiles s;
    SipRouter router(kScript, abuseOptions(s, "  handshake_timeout = 1;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    const int half = connectFrom("127.0.0.1", router.tlsPort());
    const int silent = connectFrom("127.0.0.1", router.tlsPort());
    ASSERT_TRUE(half >= 0 && silent >= 0);
    ASSERT_EQ(send(half, kHalfHello, sizeof kHalfHello - 1, MSG_NOSIGNAL),
              static_cast<ssize_t>(sizeof kHalfHello - 1));
    // Not before the timeout (a slow client is allowed its handshake_timeout)...
    EXPECT_FALSE(closedWithin(half, 300));
    // ...and not long after it (the owner looks every sweep).
    EXPECT_TRUE(closedWithin(half, 4000)) << router.log();
    EXPECT_TRUE(closedWithin(silent, 4000)) << router.log();
    close(half);
    close(silent);
    StatsReader reader;
    const auto v = reader.waitFor(router.process(), [](const StatsReader::Values& v) {
        return StatsReader::get(v, "tls:handshake_timeout") >= 2;
    });
    EXPECT_EQ(StatsReader::get(v, "tls:handshake_timeout"), 2) << router.log();
}

TEST(TlsAbuse, PendingHandshakesPerSourceIpAreCapped) {
    TlsFiles s;
    SipRouter router(kScript, abuseOptions(s, "  max_pending_handshakes_per_ip = 4;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    std::vector<int> fds;
    for (int i = 0; i < 10; ++i) {
        const int fd = connectFrom("127.0.0.3", router.tlsPort());
        ASSERT_GE(fd, 0);
        fds.push_back(fd);
    }
    int refused = 0;
    for (int fd : fds) refused += closedWithin(fd, 500);
    EXPECT_EQ(refused, 6) << "four handshakes may wait, the rest are refused";
    // Another address is not affected.
    EXPECT_TRUE(tlsAnswers(router.tlsPort(), "other-ip")) << router.log();
    StatsReader reader;
    const auto v = reader.read(router.process());
    EXPECT_EQ(StatsReader::get(v, "tls:pending_per_ip_refused"), 6);
    for (int fd : fds) close(fd);
}

TEST(TlsAbuse, ThreeHundredSlowConnectionsDoNotStopRealClients) {
    raiseOpenFiles(2048);
    TlsFiles s;
    SipRouterOptions o = abuseOptions(s, "  handshake_timeout = 3;\n");
    SipRouter router(kScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer udp;
    ASSERT_TRUE(udp.ok());
    // 30 addresses x 10 connections: within every per-IP cap, so all 300 are held.
    std::vector<int> slow;
    for (int ip = 0; ip < 30; ++ip) {
        const std::string src = "127.0.1." + std::to_string(ip + 1);
        for (int k = 0; k < 10; ++k) {
            const int fd = connectFrom(src.c_str(), router.tlsPort());
            ASSERT_GE(fd, 0) << src;
            if (k % 2 == 0) send(fd, kHalfHello, sizeof kHalfHello - 1, MSG_NOSIGNAL);
            slow.push_back(fd);
        }
        if (ip % 10 == 9) {
            EXPECT_TRUE(tlsAnswers(router.tlsPort(), "tls-during-" + std::to_string(ip)))
                << router.log();
            EXPECT_TRUE(udpAnswers(udp, router.port(), "udp-during-" + std::to_string(ip)));
        }
    }
    EXPECT_TRUE(tlsAnswers(router.tlsPort(), "tls-all-held")) << router.log();
    EXPECT_TRUE(udpAnswers(udp, router.port(), "udp-all-held"));
    int cut = 0;
    for (int fd : slow) cut += closedWithin(fd, 6000);
    EXPECT_EQ(cut, 300) << router.log();
    for (int fd : slow) close(fd);
    StatsReader reader;
    const auto v = reader.waitFor(router.process(), [](const StatsReader::Values& v) {
        return StatsReader::get(v, "tls:handshake_timeout") >= 300;
    });
    EXPECT_EQ(StatsReader::get(v, "tls:handshake_timeout"), 300);
    EXPECT_TRUE(router.process().running());
    EXPECT_TRUE(tlsAnswers(router.tlsPort(), "tls-after")) << router.log();
}

TEST(TlsAbuse, RenegotiationIsRefused) {
    TlsFiles s;
    SipRouter router(kScript, abuseOptions(s, ""));
    ASSERT_TRUE(router.start()) << router.log();
    SipTlsConn c(router.tlsPort(), TlsClientOptions().tls12());
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_FALSE(c.renegotiate(2000)) << "the server must not renegotiate";
    StatsReader reader;
    const auto v = reader.waitFor(router.process(), [](const StatsReader::Values& v) {
        return StatsReader::get(v, "tls:renegotiation_refused") >= 1;
    });
    EXPECT_EQ(StatsReader::get(v, "tls:renegotiation_refused"), 1) << router.log();
    EXPECT_TRUE(c.waitClosed(3000));
}

}  // namespace
}  // namespace osprey::testsupport
