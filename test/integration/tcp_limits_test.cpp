// The TCP limits against hostile peers (README.md "TCP limits"), on the real osprey:
//  - 4096 peers that send requests and never read the answers, against a 64 MiB segment
//    with the default write-queue budgets: registrations and calls through tm from a
//    well-behaved client keep succeeding, the non-readers are cut and counted, shm never runs
//    out;
//  - answers stuck in the kernel's send buffer (our queue empty) and a peer that reads a few
//    bytes a second are both cut by tcp_send_timeout, while a slow reader that takes more
//    than tcp_send_min_progress per timeout keeps its connection;
//  - 200 connections per worker holding slow, unfinished messages: the per-worker partial
//    budget cuts the oldest, and a client splitting its messages on another connection is
//    served.
// The counters are read from the "TCP statistics:" line the master logs when it stops (and,
// to wait for every connection to be accepted, from the statistics read over RPC).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/timer/clock.h"
#include "test/integration/tm_test_util.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

const char* kReplyScript = R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)";

// A raw TCP connection to 127.0.0.1:port from `fromIp` (any 127.x address), with a small
// receive buffer set before connect() (the window scale is agreed in the handshake: set later,
// the peer's window outgrows the buffer and the transfer stalls).
class RawConn {
public:
    RawConn(const char* fromIp, uint16_t port, int rcvbuf) {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return;
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        inet_pton(AF_INET, fromIp, &local.sin_addr);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
            connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
        sockaddr_in me{};
        socklen_t len = sizeof me;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&me), &len);
        hostPort_ = std::string(fromIp) + ":" + std::to_string(ntohs(me.sin_port));
    }
    ~RawConn() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawConn(const RawConn&) = delete;
    RawConn& operator=(const RawConn&) = delete;

    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const std::string& hostPort() const { return hostPort_; }
    // Writes what the socket takes now; false once the router closed or reset it.
    bool sendSome(const std::string& text) {
        const ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        return n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK;
    }

private:
    int fd_ = -1;
    std::string hostPort_;
};

// An OPTIONS of about `size` octets: its extra Via headers come back in the answer, so every
// answer is about as large as the request.
std::string bigOptions(const std::string& from, int seq, size_t size, const std::string& ruri) {
    std::string pad;
    int k = 0;
    while (pad.size() + 600 < size) {
        pad += "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK" + std::to_string(k++) + "x" +
               std::string(400, 'p') + "\r\n";
    }
    return "OPTIONS " + ruri + " SIP/2.0\r\nVia: SIP/2.0/TCP " + from + ";branch=z9hG4bK" +
           std::to_string(seq) + "h" + from + ";rport\r\n" + pad +
           "From: <sip:h@127.0.0.1>;tag=t\r\nTo: <" + ruri + ">\r\nCall-ID: h" +
           std::to_string(seq) + "-" + from + "\r\nCSeq: " + std::to_string(seq + 1) +
           " OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
}

// A counter from the "TCP statistics:" line (after the router stopped); -1 when absent.
long tcpStat(const std::string& log, const std::string& name) {
    const std::string key = "tcp:" + name + "=";
    const size_t line = log.rfind("TCP statistics:");
    if (line == std::string::npos) return -1;
    const size_t at = log.find(key, line);
    if (at == std::string::npos) return -1;
    return std::stol(log.substr(at + key.size()));
}

// --- send timeout ---------------------------------------------------------------------------

TEST(TcpLimits, AnswersStuckInTheKernelBufferAreCutBySendTimeout) {
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_send_timeout = 1;\n";
    SipRouter router(kReplyScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    RawConn c("127.0.0.1", router.tcpPort(), 4096);
    ASSERT_TRUE(c.ok());
    // 120 KB of answers: far less than the router's kernel send buffer, so its write queue
    // stays empty and the answers sit in the kernel behind the peer's closed window.
    for (int i = 0; i < 30; ++i)
        ASSERT_TRUE(c.sendSome(bigOptions(c.hostPort(), i, 4000, "sip:x@127.0.0.1")));
    EXPECT_NE(router.process().waitForLog("tcp_send_timeout", 8000), std::string::npos)
        << router.log();
    // The connection is gone for the router; what it had sent drains, then the close arrives.
    std::unique_ptr<SipTcpConn> drained = SipTcpConn::adopt(dup(c.fd()));
    EXPECT_TRUE(drained->waitClosed(5000));
    // Others are served.
    SipTcpConn other(router.tcpPort());
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    ASSERT_TRUE(other.send(buildTcpRequest(other, r)));
    ASSERT_TRUE(other.receiveCall(r.callId, 3000)) << router.log();
    router.process().stop();
    EXPECT_GE(tcpStat(router.log(), "send_timeout"), 1) << router.log();
}

TEST(TcpLimits, TrickleReaderIsCutBySendTimeout) {
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_send_timeout = 2;\n";
    SipRouter router(kReplyScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    RawConn c("127.0.0.1", router.tcpPort(), 4096);
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 30; ++i)
        ASSERT_TRUE(c.sendSome(bigOptions(c.hostPort(), i, 4000, "sip:x@127.0.0.1")));
    // Reads 20 octets every 100 ms (200 B/s): every read opens the window a little.
    size_t taken = 0;
    bool cut = false;
    const int64_t end = timer::nowMs() + 15000;
    while (!cut && timer::nowMs() < end) {
        poll(nullptr, 0, 100);  // the pace of the reader under test, not a synchronisation
        char buf[20];
        const ssize_t n = recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) taken += static_cast<size_t>(n);
        cut = router.process().countInLog("tcp_send_timeout") > 0;
    }
    EXPECT_TRUE(cut) << "a peer reading " << taken << " octets was not cut\n" << router.log();
    EXPECT_GT(taken, 0u);
    router.process().stop();
    EXPECT_GE(tcpStat(router.log(), "send_timeout"), 1) << router.log();
}

TEST(TcpLimits, SlowButSteadyReaderKeepsItsConnection) {
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_send_timeout = 1;\n";
    SipRouter router(kReplyScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    RawConn c("127.0.0.1", router.tcpPort(), 4096);
    ASSERT_TRUE(c.ok());
    constexpr int kAnswers = 12;
    for (int i = 0; i < kAnswers; ++i)
        ASSERT_TRUE(c.sendSome(bigOptions(c.hostPort(), i, 4000, "sip:x@127.0.0.1")));
    // 2000 octets every 100 ms (20 KB/s): five times tcp_send_min_progress per second.
    std::unique_ptr<SipTcpConn> reader = SipTcpConn::adopt(dup(c.fd()));
    std::string got;
    const int64_t end = timer::nowMs() + 20000;
    int answers = 0;
    while (answers < kAnswers && timer::nowMs() < end) {
        poll(nullptr, 0, 100);  // the pace of the reader under test, not a synchronisation
        char buf[2000];
        const ssize_t n = recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) break;
        if (n > 0) got.append(buf, static_cast<size_t>(n));
        answers = 0;  // complete answers: each ends with the blank line (no body)
        for (size_t at = got.find("\r\n\r\n"); at != std::string::npos;
             at = got.find("\r\n\r\n", at + 4))
            ++answers;
    }
    EXPECT_EQ(answers, kAnswers) << router.log();
    EXPECT_EQ(router.process().countInLog("tcp_send_timeout"), 0u) << router.log();
    // Still open: one more request is answered.
    ASSERT_TRUE(c.sendSome(bigOptions(c.hostPort(), 99, 600, "sip:x@127.0.0.1")));
    EXPECT_TRUE(reader->receiveCall("h99-" + c.hostPort(), 3000)) << router.log();
}

// --- write-queue budgets --------------------------------------------------------------------

constexpr int kHostile = 4096;
constexpr int kHostileIps = 64;

// A quarter from one address (a NAT full of non-readers: the per-IP budget), the rest from
// 127.0.1.1 .. 127.0.1.64 (the total budget). The client is 127.0.0.1.
std::string hostileIp(int i) {
    if (i % 4 == 0) return "127.0.2.1";
    return "127.0.1." + std::to_string(1 + i % kHostileIps);
}

TEST(TcpLimits, NonReadingPeersCannotStarveRegistrationsAndCalls) {
    ASSERT_GE(raiseOpenFiles(kHostile + 512), static_cast<uint64_t>(kHostile + 512))
        << "the test needs its own open files limit raised";
    StatsReader reader;
    SipPeer uas;
    SipRouterOptions o = tmRouterOptions("", 2, true);
    o.tcp = true;
    o.shmMiB = 64;  // the default segment, with the default budgets
    o.pkgMiB = 8;
    o.controlSocket = true;  // the statistics are read over RPC
    // A small kernel send buffer makes non-readers reach the shm queues after a few answers
    // instead of megabytes (the kernel's autotuned default), so the test stays short.
    o.extra = "tcp_children = 2;\ntcp_max_connections = 4200;\ntcp_send_buffer_size = 4096;\n";
    SipRouter router(kRegistrarRelayScript, o);
    ASSERT_TRUE(router.start()) << router.log();

    SipTcpConn client(router.tcpPort());
    ASSERT_TRUE(client.ok());
    int calls = 0;
    // REGISTER bob at the UAS, then INVITE bob through tm; both answered over TCP.
    const auto registerAndCall = [&](int round) {
        SipRequest reg;
        reg.method = "REGISTER";
        reg.ruri = "sip:example.com";
        reg.to = "<sip:bob@example.com>";
        reg.from = reg.to + ";tag=" + uniqueToken("t");
        reg.extraHeaders = "Contact: <sip:bob@" + uas.hostPort() + ">\r\nExpires: 300\r\n";
        ASSERT_TRUE(client.send(buildTcpRequest(client, reg))) << "round " << round;
        auto ok = client.receiveCall(reg.callId, 5000);
        ASSERT_TRUE(ok) << "round " << round << "\n" << router.log();
        ASSERT_EQ(ok->status(), 200) << ok->text();

        SipRequest inv = invite("sip:bob@example.com");
        ASSERT_TRUE(client.send(buildTcpRequest(client, inv)));
        auto got = waitFor(uas, inv.callId, isMethod("INVITE"), 5000);
        ASSERT_TRUE(got) << "round " << round << "\n" << router.log();
        ASSERT_TRUE(uas.sendBack(buildResponse(*got, 200, "OK"), *got));
        std::unique_ptr<ReceivedMsg> r;
        for (int i = 0; i < 4 && !(r && r->status() == 200); ++i)
            r = client.receiveCall(inv.callId, 5000);
        ASSERT_TRUE(r && r->status() == 200) << "round " << round << "\n" << router.log();
        ++calls;
    };
    registerAndCall(-1);

    // Batches of non-readers, each sending requests whose answers it never reads; a
    // registration and a call after every batch.
    std::vector<std::unique_ptr<RawConn>> hostile;
    hostile.reserve(kHostile);
    constexpr int kBatch = 512;
    constexpr int kRequests = 8;  // 32 KB of answers each: kernel buffers, then the shm queue
    for (int b = 0; b < kHostile / kBatch; ++b) {
        for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) {
            hostile.push_back(
                std::make_unique<RawConn>(hostileIp(i).c_str(), router.tcpPort(), 2048));
            ASSERT_TRUE(hostile.back()->ok()) << "connection " << i << ": " << strerror(errno);
        }
        for (int k = 0; k < kRequests; ++k) {
            for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) {
                RawConn& h = *hostile[i];
                h.sendSome(bigOptions(h.hostPort(), k, 4000, "sip:nobody@127.0.0.1"));
            }
        }
        registerAndCall(b);
        if (HasFatalFailure()) return;
    }
    // Once more after the router worked through everything it was sent.
    for (int round = 0; round < 3; ++round) {
        registerAndCall(100 + round);
        if (HasFatalFailure()) return;
    }
    EXPECT_EQ(calls, 1 + kHostile / kBatch + 3);
    // Every non-reader's connect() has returned, but the router takes connections from its
    // listen backlog at its own pace (one that found the backlog full waits for a retransmitted
    // SYN-ACK): the calls above can end before the last ones are accepted. Wait for them.
    const StatsReader::Values accepted = reader.waitFor(
        router.process(),
        [](const StatsReader::Values& v) {
            return StatsReader::get(v, "tcp:passive_open") >= kHostile + 1;
        },
        10000);
    EXPECT_GE(StatsReader::get(accepted, "tcp:passive_open"), kHostile + 1);
    router.process().stop();
    const std::string log = router.log();
    EXPECT_EQ(log.find("out of memory"), std::string::npos) << log;
    EXPECT_EQ(log.find("out of shared memory"), std::string::npos) << log;
    const std::string stats = log.substr(log.rfind("TCP statistics:"));
    EXPECT_GE(tcpStat(log, "wq_budget_cut"), 100) << stats;
    EXPECT_GE(tcpStat(log, "wq_ip_budget_cut"), 100) << stats;
    EXPECT_GE(tcpStat(log, "passive_open"), kHostile + 1) << stats;
    EXPECT_GE(tcpStat(log, "established"), kHostile + 1) << stats;
    EXPECT_EQ(tcpStat(log, "local_reject"), 0) << stats;
    std::printf("%s\n", stats.c_str());
}

// --- partial messages -----------------------------------------------------------------------

TEST(TcpLimits, SlowPartialMessagesAreCutOldestFirstAndOthersAreServed) {
    SipRouterOptions o;
    o.tcp = true;
    o.pkgMiB = 8;  // the default private heap, with the default partial budget (2 MiB)
    o.extra = "tcp_children = 2;\n";
    SipRouter router(kReplyScript, o);
    ASSERT_TRUE(router.start()) << router.log();

    // 200 per worker, each with 20 KB of a 60 KB message (64 KiB kept each: 12.8 MB per
    // worker, more than its whole heap).
    constexpr int kSlow = 400;
    const std::string head =
        "OPTIONS sip:slow@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKs\r\n"
        "From: <sip:s@127.0.0.1>;tag=s\r\nTo: <sip:slow@127.0.0.1>\r\nCall-ID: slow\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 60000\r\n\r\n" +
        std::string(20000, 'b');
    std::vector<std::unique_ptr<SipTcpConn>> slow;
    for (int i = 0; i < kSlow; ++i) {
        slow.push_back(std::make_unique<SipTcpConn>(router.tcpPort()));
        ASSERT_TRUE(slow.back()->ok()) << "connection " << i;
        ASSERT_TRUE(slow.back()->send(head));
    }
    // The well-behaved client splits each request in two writes.
    SipTcpConn client(router.tcpPort());
    ASSERT_TRUE(client.ok());
    for (int i = 0; i < 10; ++i) {
        // The slow ones go on slowly (those already cut fail silently).
        for (auto& s : slow) send(s->fd(), "bbbb", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
        SipRequest r;
        r.ruri = "sip:bob@127.0.0.1";
        const std::string text = buildTcpRequest(client, r);
        ASSERT_TRUE(client.send(text.substr(0, text.size() / 2)));
        EXPECT_FALSE(client.receiveMsg(30)) << "answered half a request";
        ASSERT_TRUE(client.send(text.substr(text.size() / 2)));
        auto resp = client.receiveCall(r.callId, 3000);
        ASSERT_TRUE(resp) << "request " << i << "\n" << router.log();
        EXPECT_EQ(resp->status(), 200);
    }
    EXPECT_FALSE(client.closedByPeer());
    // Oldest first: the first slow connections are gone, the newest are still there.
    EXPECT_TRUE(slow.front()->waitClosed(3000));
    char byte;
    EXPECT_EQ(recv(slow.back()->fd(), &byte, 1, MSG_DONTWAIT), -1) << "the newest was closed\n"
                                                                   << router.log();
    EXPECT_EQ(errno, EAGAIN);
    router.process().stop();
    const std::string log = router.log();
    EXPECT_EQ(log.find("no memory for a partial message"), std::string::npos) << log;
    // 2 MiB per worker keeps about 30 of the 64 KiB buffers: the rest were cut.
    EXPECT_GE(tcpStat(log, "partial_budget_cut"), kSlow / 2)
        << log.substr(log.rfind("TCP statistics:"));
    EXPECT_NE(log.find("tcp_worker_partial_max"), std::string::npos);
}

}  // namespace
}  // namespace osprey::testsupport
