// Bad input on every RPC front end (garbage, truncated and oversized frames, silent clients,
// more connections than the cap) gets an error or a closed connection and never disturbs SIP;
// a killed control process is restarted and serves the same sockets again.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include "test/integration/rpc_test_util.h"

namespace osprey::testsupport {
namespace {

constexpr unsigned kCap = 40;
constexpr unsigned kIdleS = 2;

RpcRouterOptions abuseOptions() {
    RpcRouterOptions o;
    o.maxConnections = kCap;
    o.idleTimeoutS = kIdleS;
    return o;
}

// Polls ospreyctl until it answers (bounded); the answer's exit code.
int ctlAnswers(const RpcRouter& r, int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    int code = -1;
    while (std::chrono::steady_clock::now() < deadline) {
        code = r.ctl({"core.version"}).exitCode;
        if (code == 0) return 0;
        pollfd none{-1, 0, 0};
        poll(&none, 0, 100);  // between attempts only; success ends the wait
    }
    return code;
}

class RpcAbuseTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(router.start()) << router.log(); }
    RpcRouter router{abuseOptions()};
};

TEST_F(RpcAbuseTest, GarbageOnTheControlSocketGetsAnErrorAndAClose) {
    int fd = connectUnix(router.ctlSocket());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, std::string("\x00\xff\x13garbage{{{", 13)));
    ReadOutcome r = readUntilClosed(fd, 5000);
    close(fd);
    EXPECT_TRUE(r.closed);
    EXPECT_NE(r.data.find("\"code\":-32700"), std::string::npos) << r.data;
    EXPECT_TRUE(router.optionsAnswered());
}

TEST_F(RpcAbuseTest, OversizedAndTruncatedBinrpcFramesAreRefused) {
    // Header: magic/version, request with a 4-byte length and a 1-byte cookie, 2 GiB body.
    int fd = connectUnix(router.ctlSocket());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, std::string("\xA1\x0C\x7F\xFF\xFF\xFF\x01", 7)));
    ReadOutcome big = readUntilClosed(fd, 5000);
    close(fd);
    EXPECT_TRUE(big.closed);
    ASSERT_GE(big.data.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(big.data[0]), 0xA1);
    EXPECT_EQ(static_cast<uint8_t>(big.data[1]) >> 4, 3u) << "a binrpc fault";
    EXPECT_NE(big.data.find("too large"), std::string::npos);

    // A frame announcing 100 bytes that never come: closed by the idle timeout.
    fd = connectUnix(router.ctlSocket());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, std::string("\xA1\x00\x64\x01\x71", 5)));
    ReadOutcome slow = readUntilClosed(fd, (kIdleS + 5) * 1000);
    close(fd);
    EXPECT_TRUE(slow.closed);
    EXPECT_TRUE(slow.data.empty());

    // A record longer than its packet.
    fd = connectUnix(router.ctlSocket());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, std::string("\xA1\x00\x03\x01\xF1\x00\x00", 7)));
    ReadOutcome bad = readUntilClosed(fd, 5000);
    close(fd);
    EXPECT_TRUE(bad.closed);
    EXPECT_NE(bad.data.find("bad binrpc packet"), std::string::npos);
    EXPECT_TRUE(router.optionsAnswered());
    EXPECT_EQ(router.kamcmd({"core.version"}).exitCode, 0);
}

TEST_F(RpcAbuseTest, BadHttpRequestsGetTheirStatusAndAClose) {
    struct Case {
        std::string request;
        std::string status;
    };
    const Case cases[] = {
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /metrics HTTP/2.0\r\n\r\n", "HTTP/1.1 505 "},
        {"POST /RPC HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", "HTTP/1.1 413 "},
        {"POST /RPC HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 501 "},
        {"GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", "HTTP/1.1 431 "},
    };
    for (const Case& c : cases) {
        int fd = connectTcp(router.httpPort());
        ASSERT_GE(fd, 0);
        sendAll(fd, c.request);
        ReadOutcome r = readUntilClosed(fd, 5000);
        close(fd);
        EXPECT_TRUE(r.closed) << c.status;
        EXPECT_EQ(r.data.rfind(c.status, 0), 0u) << r.data;
        EXPECT_NE(r.data.find("Connection: close\r\n"), std::string::npos) << r.data;
    }
    // A client that sends half a head and stops is closed by the idle timeout.
    int fd = connectTcp(router.httpPort());
    ASSERT_GE(fd, 0);
    sendAll(fd, "GET /metr");
    ReadOutcome r = readUntilClosed(fd, (kIdleS + 5) * 1000);
    close(fd);
    EXPECT_TRUE(r.closed);
    EXPECT_TRUE(router.optionsAnswered());
}

TEST_F(RpcAbuseTest, AThousandConnectionsAreCappedAndSipIsAnswered) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2048 && rl.rlim_max >= 2048) {
        rl.rlim_cur = 2048;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    // No kept connection can reach the idle timeout before this (each is timed from its
    // accept, which is later): until then every closed one was closed for the cap.
    // (A count takes a moment: it starts at least 200 ms before that.)
    const auto idleEarliest = std::chrono::steady_clock::now() + std::chrono::seconds(kIdleS) -
                              std::chrono::milliseconds(200);
    std::vector<int> fds;
    for (int i = 0; i < 1000; ++i) {
        int fd = i % 2 == 0 ? connectUnix(router.ctlSocket()) : connectTcp(router.httpPort());
        if (fd < 0) break;
        fds.push_back(fd);
    }
    EXPECT_EQ(fds.size(), 1000u);
    // SIP is answered while they are all open and silent.
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(router.optionsAnswered());
    // Past the cap, the server closes each connection as it accepts it: count the ones it
    // kept. Connections still in the listen backlog look open too, and on a loaded machine the
    // control process may not have reached them all yet: count again until it has, but only
    // while no kept one can have been closed by the idle timeout.
    const auto countOpen = [&fds] {
        unsigned open = 0;
        for (int fd : fds) {
            pollfd p{fd, POLLIN, 0};
            char c;
            // Closed ones read EOF (or reset); kept ones have nothing to read.
            if (poll(&p, 1, 0) == 0 || recv(fd, &c, 1, MSG_DONTWAIT) > 0) ++open;
        }
        return open;
    };
    unsigned open = countOpen();
    while (open > kCap && std::chrono::steady_clock::now() < idleEarliest) {
        poll(nullptr, 0, 20);  // the pace of the recount
        open = countOpen();
    }
    EXPECT_LE(open, kCap);
    // The kept ones are silent: the idle timeout frees them and a real client gets in again.
    EXPECT_EQ(ctlAnswers(router, (kIdleS + 8) * 1000), 0) << router.log();
    for (int fd : fds) close(fd);
    EXPECT_TRUE(router.optionsAnswered());
}

TEST_F(RpcAbuseTest, AKilledControlProcessIsRestartedAndServesTheSocketsAgain) {
    rpc::Value psx = parseJsonOutput(router.ctl({"-j", "core.psx"}).output);
    ASSERT_TRUE(psx.isArray());
    int ctlPid = 0;
    for (const rpc::Value& p : psx.items()) {
        if (p.find("DSC")->asString().rfind("ctl#0", 0) == 0)
            ctlPid = static_cast<int>(p.find("PID")->asInt());
    }
    ASSERT_GT(ctlPid, 0);
    ASSERT_EQ(kill(ctlPid, SIGKILL), 0);
    EXPECT_TRUE(router.optionsAnswered());
    ASSERT_NE(router.process().waitForLog("ctl#0 (pid", 10000), std::string::npos);
    ASSERT_EQ(ctlAnswers(router, 10000), 0) << router.log();
    rpc::Value again = parseJsonOutput(router.ctl({"-j", "core.psx"}).output);
    int newPid = 0;
    for (const rpc::Value& p : again.items()) {
        if (p.find("DSC")->asString().rfind("ctl#0", 0) == 0)
            newPid = static_cast<int>(p.find("PID")->asInt());
    }
    EXPECT_GT(newPid, 0);
    EXPECT_NE(newPid, ctlPid);
    EXPECT_EQ(router.kamcmd({"core.version"}).exitCode, 0);
    EXPECT_EQ(
        router.curl({"-o", "/dev/null", "-w", "%{http_code}", router.httpUrl("/metrics")}).output,
        "200");
    EXPECT_TRUE(router.optionsAnswered());
    EXPECT_TRUE(router.process().running());
}

}  // namespace
}  // namespace osprey::testsupport
