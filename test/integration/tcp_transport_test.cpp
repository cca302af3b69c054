// The TCP transport end to end with the real osprey on loopback: requests over a connection
// answered (sl) over the same connection, stream framing (pipelined messages in one write, a
// message split byte by byte, CRLF keep-alive ping answered with a pong), the size limit and
// the idle timeout closing connections, answers in order, IPv6, and connections from one peer
// spread over the TCP workers.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

#include "core/timer/clock.h"
#include "test/support/proc_info.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

const char* kReplyScript = R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
)";

SipRouterOptions tcpOptions(std::string extra = "", unsigned tcpChildren = 2) {
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_children = " + std::to_string(tcpChildren) + ";\n" + extra;
    return o;
}

std::string request(SipTcpConn& c, const std::string& callId, uint32_t cseq = 1,
                    const std::string& body = "") {
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    r.cseq = cseq;
    r.body = body;
    return buildTcpRequest(c, r);
}

TEST(TcpTransport, RequestIsAnsweredOverTheSameConnection) {
    SipRouter router(kReplyScript, tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn c(router.tcpPort());
    ASSERT_TRUE(c.ok());
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    ASSERT_TRUE(c.send(buildTcpRequest(c, r)));
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_EQ(resp->header("Call-ID"), r.callId);
    // Our Via came back with the source the router saw (RFC 3581: rport was asked for).
    EXPECT_EQ(resp->viaParam(0, "rport"), std::to_string(c.localPort()));
    // The connection stays open for the next request.
    ASSERT_TRUE(c.send(request(c, "second")));
    auto again = c.receiveMsg(3000);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->header("Call-ID"), "second");
}

TEST(TcpTransport, PipelinedMessagesInOneWriteAreAnsweredInOrder) {
    SipRouter router(kReplyScript, tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn c(router.tcpPort());
    ASSERT_TRUE(c.ok());
    std::string all;
    const int kCount = 60;
    for (int i = 1; i <= kCount; ++i) all += request(c, "pipe-" + std::to_string(i), i);
    ASSERT_TRUE(c.send(all));
    for (int i = 1; i <= kCount; ++i) {
        auto resp = c.receiveMsg(3000);
        ASSERT_TRUE(resp) << "answer " << i << "\n" << router.log();
        EXPECT_EQ(resp->header("Call-ID"), "pipe-" + std::to_string(i));
        EXPECT_EQ(resp->header("CSeq"), std::to_string(i) + " OPTIONS");
    }
}

TEST(TcpTransport, MessageSentByteByByte) {
    SipRouter router(kReplyScript, tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn c(router.tcpPort());
    ASSERT_TRUE(c.ok());
    const std::string text = request(c, "slow", 1, "a body of some length");
    // One send per octet (the client sets TCP_NODELAY, so each leaves as its own segment).
    for (size_t i = 0; i < text.size(); ++i) {
        ASSERT_TRUE(c.send(text.substr(i, 1)));
        if (i + 1 == text.size() / 2) {
            EXPECT_EQ(c.receiveRaw(1, 100), "") << "answered before the message was complete";
        }
    }
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->header("Call-ID"), "slow");
}

TEST(TcpTransport, KeepAlivePingGetsAPong) {
    SipRouter router(kReplyScript, tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn c(router.tcpPort());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("\r\n\r\n"));
    EXPECT_EQ(c.receiveRaw(2, 3000), "\r\n");  // RFC 5626 §3.5.1
    // A pong from our side ("\r\n" alone) is not answered; a request after it still is.
    ASSERT_TRUE(c.send("\r\n" + request(c, "after-ping")));
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->header("Call-ID"), "after-ping");
}

TEST(TcpTransport, OversizedMessageClosesTheConnection) {
    SipRouter router(kReplyScript, tcpOptions("tcp_max_msg_size = 2048;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn small(router.tcpPort());
    ASSERT_TRUE(small.ok());
    ASSERT_TRUE(small.send(request(small, "fits", 1, std::string(1000, 'x'))));
    auto resp = small.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);

    SipTcpConn big(router.tcpPort());
    ASSERT_TRUE(big.ok());
    ASSERT_TRUE(big.send(request(big, "too-big", 1, std::string(3000, 'x'))));
    EXPECT_TRUE(big.waitClosed(3000)) << router.log();
    EXPECT_NE(router.process().waitForLog("message larger than tcp_max_msg_size (2048"),
              std::string::npos)
        << router.log();
    // The other connection is unaffected.
    ASSERT_TRUE(small.send(request(small, "still-here", 2)));
    auto again = small.receiveMsg(3000);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->header("Call-ID"), "still-here");
}

TEST(TcpTransport, IdleConnectionIsClosedAfterTheLifetime) {
    SipRouter router(kReplyScript, tcpOptions("tcp_connection_lifetime = 1;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn idle(router.tcpPort());
    SipTcpConn busy(router.tcpPort());
    ASSERT_TRUE(idle.ok() && busy.ok());
    ASSERT_TRUE(idle.send(request(idle, "idle")));
    ASSERT_TRUE(idle.receiveMsg(3000));
    const int64_t start = timer::nowMs();
    // busy pings every 300 ms: traffic keeps it open.
    bool idleClosed = false;
    int64_t closedAt = 0;
    while (timer::nowMs() - start < 2000) {
        ASSERT_TRUE(busy.send("\r\n\r\n"));
        ASSERT_EQ(busy.receiveRaw(2, 1000), "\r\n") << router.log();
        if (!idleClosed && idle.waitClosed(300)) {
            idleClosed = true;
            closedAt = timer::nowMs();
        }
    }
    ASSERT_TRUE(idleClosed || idle.waitClosed(2000)) << router.log();
    if (closedAt == 0) closedAt = timer::nowMs();
    EXPECT_GE(closedAt - start, 800) << "closed before tcp_connection_lifetime";
    EXPECT_FALSE(busy.closedByPeer());
    ASSERT_TRUE(busy.send(request(busy, "busy")));
    auto resp = busy.receiveMsg(3000);
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->header("Call-ID"), "busy");
}

// A connection to 127.0.0.1:port whose receive buffer is `rcvbuf` bytes. The size is set
// before connect(): the window scale is agreed in the handshake from the buffer size then, and
// shrinking the buffer afterwards leaves the peer a window larger than the buffer, so Linux
// drops the data beyond it (TcpExtBeyondWindow) and the window updates stall the transfer.
std::unique_ptr<SipTcpConn> connectWithSmallReceiveBuffer(uint16_t port, int rcvbuf) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        close(fd);
        return nullptr;
    }
    return SipTcpConn::adopt(fd);
}

TEST(TcpTransport, PeerThatDoesNotReadIsClosedWhenItsQueueOverflows) {
    SipRouter router(kReplyScript, tcpOptions("tcp_conn_wq_max = 4096;\n"));
    ASSERT_TRUE(router.start()) << router.log();
    auto conn = connectWithSmallReceiveBuffer(router.tcpPort(), 4096);
    ASSERT_TRUE(conn && conn->ok());
    SipTcpConn& c = *conn;
    // Requests keep coming, answers are never read: the kernel buffers fill, then the queue.
    std::string batch;
    for (int i = 0; i < 200; ++i) batch += request(c, "flood-" + std::to_string(i), i + 1);
    bool closed = false;
    for (int round = 0; round < 200 && !closed; ++round) {
        closed = !c.send(batch, 2000) ||
                 router.process().countInLog("write queue full (tcp_conn_wq_max)") > 0;
    }
    EXPECT_NE(router.process().waitForLog("write queue full (tcp_conn_wq_max)", 3000),
              std::string::npos)
        << router.log();
    EXPECT_TRUE(c.waitClosed(3000));
    // The worker is free for others.
    SipTcpConn other(router.tcpPort());
    ASSERT_TRUE(other.send(request(other, "other")));
    auto resp = other.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->header("Call-ID"), "other");
}

TEST(TcpTransport, MissingContentLengthClosesTheConnection) {
    SipRouter router(kReplyScript, tcpOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn c(router.tcpPort());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(
        c.send("OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;"
               "branch=z9hG4bK1\r\nCall-ID: x\r\n\r\n"));
    EXPECT_TRUE(c.waitClosed(3000));
    EXPECT_NE(router.process().waitForLog("Content-Length"), std::string::npos) << router.log();
}

TEST(TcpTransport, Ipv6) {
    SipRouterOptions o = tcpOptions();
    o.ipv6 = true;
    SipRouter router(kReplyScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    SipTcpConn c(router.tcpPort6(), AF_INET6);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(request(c, "v6")));
    auto resp = c.receiveMsg(3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->header("Call-ID"), "v6");
    SipTcpConn c4(router.tcpPort());
    ASSERT_TRUE(c4.ok());
    ASSERT_TRUE(c4.send(request(c4, "v4")));
    auto resp4 = c4.receiveMsg(3000);
    ASSERT_TRUE(resp4) << router.log();
    EXPECT_EQ(resp4->header("Call-ID"), "v4");
}

// Sockets a process holds (/proc/<pid>/fd links to "socket:[...]").
int socketCount(int pid) {
    int n = 0;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            char target[64];
            const ssize_t len = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target);
            n += len > 7 && std::string(target, 7) == "socket:";
        }
        closedir(d);
    }
    return n;
}

TEST(TcpTransport, ConnectionsFromOnePeerSpreadOverTheWorkers) {
    SipRouterOptions o = tcpOptions("", 3);
    o.logLevel = "debug";  // for the workers' pids in the log prefixes
    SipRouter router(kReplyScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    std::map<std::string, int> workers;  // "tcp#0" -> pid
    const std::string log = router.log();
    // Log prefixes look like "tcp#1[12345]:".
    for (size_t at = log.find("tcp#"); at != std::string::npos; at = log.find("tcp#", at + 1)) {
        const size_t open = log.find('[', at);
        const size_t close = log.find(']', at);
        if (open == std::string::npos || close == std::string::npos || close < open ||
            open - at > 8)
            continue;
        const std::string pid = log.substr(open + 1, close - open - 1);
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        workers[log.substr(at, open - at)] = std::stoi(pid);
    }
    ASSERT_EQ(workers.size(), 3u) << log;
    std::map<std::string, int> before;
    for (const auto& [name, pid] : workers) before[name] = socketCount(pid);

    std::vector<std::unique_ptr<SipTcpConn>> conns;
    for (int i = 0; i < 30; ++i) {
        conns.push_back(std::make_unique<SipTcpConn>(router.tcpPort()));
        ASSERT_TRUE(conns.back()->ok());
        ASSERT_TRUE(conns.back()->send(request(*conns.back(), "spread-" + std::to_string(i))));
    }
    for (auto& c : conns) ASSERT_TRUE(c->receiveMsg(3000)) << router.log();
    for (const auto& [name, pid] : workers) {
        EXPECT_EQ(socketCount(pid) - before[name], 10) << name << " owns a third of them";
    }
}

}  // namespace
}  // namespace osprey::testsupport
