// The control plane from the outside: the real kamcmd on the binrpc socket, curl on the HTTP
// listener, ospreyctl on the control socket, against the real osprey.
#include <gtest/gtest.h>

#include "test/integration/rpc_test_util.h"

namespace osprey::testsupport {
namespace {

class RpcControlTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(router.start()) << router.log(); }
    RpcRouter router;
};

TEST_F(RpcControlTest, KamcmdCallsCoreMethodsOverBinrpc) {
    RunResult v = router.kamcmd({"core.version"});
    EXPECT_EQ(v.exitCode, 0) << v.output;
    EXPECT_EQ(v.output.rfind("osprey 0.", 0), 0u) << v.output;

    RunResult psx = router.kamcmd({"core.psx"});
    EXPECT_NE(psx.output.find("DSC: ctl#0"), std::string::npos) << psx.output;
    EXPECT_NE(psx.output.find("DSC: sip#1"), std::string::npos) << psx.output;
    EXPECT_NE(psx.output.find("PID: " + std::to_string(router.process().pid())), std::string::npos)
        << psx.output;

    RunResult shm = router.kamcmd({"core.shmmem", "m"});
    EXPECT_NE(shm.output.find("total: 15"), std::string::npos) << shm.output;  // 16 MiB - control
    EXPECT_NE(shm.output.find("real_used:"), std::string::npos) << shm.output;

    RunResult up = router.kamcmd({"core.uptime"});
    EXPECT_NE(up.output.find("up_since:"), std::string::npos) << up.output;

    RunResult list = router.kamcmd({"system.listMethods"});
    EXPECT_NE(list.output.find("core.sockets_list\n"), std::string::npos) << list.output;
    EXPECT_NE(list.output.find("testmod.echo\n"), std::string::npos) << list.output;

    RunResult socks = router.kamcmd({"core.sockets_list"});
    EXPECT_NE(socks.output.find("port: " + std::to_string(router.sipPort())), std::string::npos)
        << socks.output;
}

TEST_F(RpcControlTest, KamcmdSeesTypedParametersAndFaults) {
    RunResult echo = router.kamcmd({"testmod.echo", "7", "s:42", "2.5"});
    EXPECT_NE(echo.output.find("n: 7"), std::string::npos) << echo.output;
    EXPECT_NE(echo.output.find("s: 42"), std::string::npos) << echo.output;
    EXPECT_NE(echo.output.find("d: 2.5"), std::string::npos) << echo.output;

    // A string where an integer is declared: refused before the handler, naming the parameter.
    RunResult bad = router.kamcmd({"testmod.echo", "seven", "x"});
    EXPECT_NE(bad.output.find("error: 400 - invalid parameter 'n' (#1): integer expected"),
              std::string::npos)
        << bad.output;
    RunResult missing = router.kamcmd({"testmod.echo", "1"});
    EXPECT_NE(missing.output.find("'s' (#2) is missing"), std::string::npos) << missing.output;

    RunResult nf = router.kamcmd({"testmod.not_found", "alice@example.com"});
    EXPECT_NE(nf.output.find("error: 404 - AOR not found: alice@example.com"), std::string::npos)
        << nf.output;
    RunResult unknown = router.kamcmd({"no.such_method"});
    EXPECT_NE(unknown.output.find("error: 500 - command no.such_method not found"),
              std::string::npos)
        << unknown.output;

    // Several values: one record each, as Kamailio's RPC_RET_ARRAY methods answer.
    RunResult many = router.kamcmd({"testmod.many", "3"});
    EXPECT_EQ(many.output, "item-0\nitem-1\nitem-2\n");
}

TEST_F(RpcControlTest, OspreyctlPrintsTreesJsonAndExitCodes) {
    RunResult v = router.ctl({"core.version"});
    EXPECT_EQ(v.exitCode, 0) << v.output;
    EXPECT_EQ(v.output.rfind("osprey 0.", 0), 0u) << v.output;

    RunResult ps = router.ctl({"ps"});
    EXPECT_EQ(ps.exitCode, 0) << ps.output;
    EXPECT_NE(ps.output.find("- IDX: 0\n  PID: " + std::to_string(router.process().pid())),
              std::string::npos)
        << ps.output;

    RunResult cps = router.ctl({"core.ps"});
    EXPECT_EQ(cps.exitCode, 0) << cps.output;
    EXPECT_NE(
        cps.output.find("- " + std::to_string(router.process().pid()) + "\n- master (master)\n"),
        std::string::npos)
        << cps.output;

    RunResult j = router.ctl({"-j", "core.shmmem", "k"});
    EXPECT_EQ(j.exitCode, 0) << j.output;
    rpc::Value shm = parseJsonOutput(j.output);
    ASSERT_TRUE(shm.isStruct()) << j.output;
    ASSERT_NE(shm.find("total"), nullptr);
    EXPECT_GT(shm.find("total")->asInt(), 15 * 1024);

    RunResult err = router.ctl({"testmod.not_found", "bob"});
    EXPECT_EQ(err.exitCode, 1) << err.output;
    EXPECT_NE(err.output.find("error: 404 AOR not found: bob"), std::string::npos) << err.output;
    RunResult badType = router.ctl({"core.shmmem", "m", "extra"});
    EXPECT_EQ(badType.exitCode, 1) << badType.output;

    RunResult help = router.ctl({"help"});
    EXPECT_EQ(help.exitCode, 0) << help.output;
    EXPECT_NE(help.output.find("core.shmmem"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("Echo an integer, a string and a double."), std::string::npos)
        << help.output;

    RunResult one = router.ctl({"help", "testmod.echo"});
    EXPECT_NE(one.output.find("Parameters: n s d."), std::string::npos) << one.output;

    // -s overrides the config; a socket nobody serves is exit 2 naming the socket.
    RunResult viaS = router.ctl({"-s", "unix:" + router.jsonSocket(), "core.uptime"});
    EXPECT_EQ(viaS.exitCode, 0) << viaS.output;
    EXPECT_NE(viaS.output.find("uptime: "), std::string::npos) << viaS.output;
    const std::string nowhere = router.process().dir().file("nobody_here");
    RunResult none = runOsprey({"-s", nowhere, "core.version"}, 10000, ospreyctlBinary());
    EXPECT_EQ(none.exitCode, 2) << none.output;
    EXPECT_NE(none.output.find("cannot connect to unix:" + nowhere), std::string::npos)
        << none.output;
}

TEST_F(RpcControlTest, JsonRpcOverHttpAnswersAsJsonrpcs) {
    RunResult ok =
        router.curl({"-d", R"({"jsonrpc":"2.0","method":"testmod.echo","params":[5,"x"],"id":1})",
                     router.httpUrl("/RPC")});
    EXPECT_EQ(ok.exitCode, 0) << ok.output;
    EXPECT_EQ(ok.output, R"({"jsonrpc":"2.0","result":{"n":5,"s":"x"},"id":1})");

    RunResult fault = router.curl(
        {"-d", R"({"jsonrpc":"2.0","method":"testmod.not_found","params":["a"],"id":"q"})", "-w",
         "\n%{http_code}", router.httpUrl("/RPC")});
    EXPECT_EQ(fault.output,
              "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":404,\"message\":\"AOR not found: a\"},"
              "\"id\":\"q\"}\n404");

    RunResult nomethod =
        router.curl({"-d", R"({"jsonrpc":"2.0","method":"x.y","id":2})", router.httpUrl("/RPC")});
    EXPECT_EQ(nomethod.output,
              R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method Not Found"},"id":2})");
    RunResult garbage = router.curl({"-d", "{nope", router.httpUrl("/RPC")});
    EXPECT_NE(garbage.output.find("\"code\":-32700"), std::string::npos) << garbage.output;

    RunResult arr = router.curl({"-d", R"({"jsonrpc":"2.0","method":"system.listMethods","id":3})",
                                 router.httpUrl("/RPC")});
    rpc::Value doc = parseJsonOutput(arr.output);
    ASSERT_TRUE(doc.isStruct()) << arr.output;
    ASSERT_NE(doc.find("result"), nullptr);
    EXPECT_TRUE(doc.find("result")->isArray());
    EXPECT_GE(doc.find("result")->items().size(), 10u);
}

TEST_F(RpcControlTest, HttpServesRegisteredPagesWithExactLengthsAndKeepAlive) {
    RunResult m = router.curl({"-i", router.httpUrl("/metrics")});
    EXPECT_EQ(m.exitCode, 0) << m.output;
    const std::string body = "# TYPE testmod_requests counter\ntestmod_requests 42\n";
    EXPECT_NE(m.output.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << m.output;
    EXPECT_NE(m.output.find("Content-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
    EXPECT_NE(m.output.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
              std::string::npos)
        << m.output;
    EXPECT_EQ(m.output.substr(m.output.size() - body.size()), body);

    // Two requests, one connection: curl reuses it only when the first answer was framed right
    // and kept the connection open.
    RunResult two = router.curl({"-v", router.httpUrl("/metrics"), router.httpUrl("/metrics")});
    EXPECT_NE(two.output.find("Re-using existing connection"), std::string::npos) << two.output;

    RunResult nf = router.curl({"-o", "/dev/null", "-w", "%{http_code}", router.httpUrl("/nope")});
    EXPECT_EQ(nf.output, "404");
    RunResult wrong =
        router.curl({"-o", "/dev/null", "-w", "%{http_code}", router.httpUrl("/RPC")});
    EXPECT_EQ(wrong.output, "405");

    // HTTP/1.0 without keep-alive: the answer says close, and the server closes.
    int fd = connectTcp(router.httpPort());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n"));
    ReadOutcome r = readUntilClosed(fd, 5000);
    close(fd);
    EXPECT_TRUE(r.closed);
    EXPECT_NE(r.data.find("Connection: close\r\n"), std::string::npos) << r.data;
    EXPECT_EQ(r.data.substr(r.data.size() - body.size()), body);
}

TEST_F(RpcControlTest, JsonRpcUnixSocketTakesPipelinedRequests) {
    int fd = connectUnix(router.jsonSocket());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd,
                        R"({"jsonrpc":"2.0","method":"testmod.echo","params":[1,"a"],"id":1})"
                        R"({"jsonrpc":"2.0","method":"testmod.echo","params":[2,"b"],"id":2})"));
    shutdown(fd, SHUT_WR);
    ReadOutcome r = readUntilClosed(fd, 5000);
    close(fd);
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(r.data,
              "{\"jsonrpc\":\"2.0\",\"result\":{\"n\":1,\"s\":\"a\"},\"id\":1}\n"
              "{\"jsonrpc\":\"2.0\",\"result\":{\"n\":2,\"s\":\"b\"},\"id\":2}\n");
}

TEST_F(RpcControlTest, PkgStatsReportsEveryProcessHeap) {
    rpc::Value psx = parseJsonOutput(router.ctl({"-j", "core.psx"}).output);
    rpc::Value pkg = parseJsonOutput(router.ctl({"-j", "pkg.stats"}).output);
    ASSERT_TRUE(pkg.isArray());
    ASSERT_EQ(pkg.items().size(), psx.items().size());
    for (const rpc::Value& p : pkg.items()) {
        // pkg_size = 4 (MiB): every process published its own heap at start.
        EXPECT_GT(p.find("total_size")->asInt(), 3 * 1024 * 1024) << p.find("desc")->asString();
        EXPECT_LE(p.find("total_size")->asInt(), 4 * 1024 * 1024);
        EXPECT_GT(p.find("real_used")->asInt(), 0) << p.find("desc")->asString();
    }
    const std::string pid = std::to_string(router.process().pid());
    rpc::Value one = parseJsonOutput(router.ctl({"-j", "pkg.stats", "pid", pid}).output);
    ASSERT_TRUE(one.isArray());
    ASSERT_EQ(one.items().size(), 1u);
    EXPECT_EQ(one.items()[0].find("desc")->asString(), "master (master)");
}

TEST_F(RpcControlTest, ModStatsNeedsTheAllocatorsRecords) {
    RunResult r = router.ctl({"-j", "mod.stats", "all", "shm"});
#if OSPREY_MEMDBG || defined(OSPREY_MEMMNG_qm)
    EXPECT_EQ(r.exitCode, 0) << r.output;
    rpc::Value v = parseJsonOutput(r.output);
    ASSERT_TRUE(v.isArray()) << r.output;
    bool core = false;
    for (const rpc::Value& m : v.items()) {
        if (m.find("Module")->asString() == "core") {
            core = true;
            EXPECT_GT(m.find("shm")->find("Total")->asInt(), 0);
        }
    }
    EXPECT_TRUE(core) << r.output;
#else
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.output.find("needs a debug allocator"), std::string::npos) << r.output;
#endif
}

TEST(RpcControlTcp, BinrpcAndJsonRpcOverATcpControlSocket) {
    const uint16_t port = freePort(SOCK_STREAM);
    RpcRouterOptions o;
    o.extra = "ctl_socket = \"tcp:127.0.0.1:" + std::to_string(port) + "\";\n";
    RpcRouter router(o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string target = "tcp:127.0.0.1:" + std::to_string(port);
    RunResult k = runOsprey({"-s", target, "core.version"}, 10000, kKamcmd);
    EXPECT_EQ(k.exitCode, 0) << k.output;
    EXPECT_EQ(k.output.rfind("osprey 0.", 0), 0u) << k.output;
    RunResult c = runOsprey({"-s", target, "core.version"}, 10000, ospreyctlBinary());
    EXPECT_EQ(c.exitCode, 0) << c.output;
    EXPECT_EQ(c.output, k.output);
    // ospreyctl finds the same socket through the config.
    EXPECT_EQ(router.ctl({"core.version"}).output, k.output);
}

TEST_F(RpcControlTest, TcpInfoWithoutTcpIsAFault) {
    RunResult r = router.kamcmd({"core.tcp_info"});
    EXPECT_NE(r.output.find("error: 500 - tcp support disabled"), std::string::npos) << r.output;
}

TEST(RpcControlTcpInfo, CountsTheOpenConnections) {
    RpcRouterOptions o;
    o.tcp = true;
    RpcRouter router(o);
    ASSERT_TRUE(router.start()) << router.log();
    rpc::Value before = parseJsonOutput(router.ctl({"-j", "core.tcp_info"}).output);
    ASSERT_TRUE(before.isStruct());
    EXPECT_EQ(before.find("readers")->asInt(), 2);  // tcp_children defaults to children
    EXPECT_EQ(before.find("max_connections")->asInt(), 4096);
    EXPECT_EQ(before.find("opened_connections")->asInt(), 0);
    int fd = connectTcp(router.tcpPort());
    ASSERT_GE(fd, 0);
    int64_t opened = 0;
    for (int i = 0; i < 50 && opened == 0; ++i) {
        rpc::Value now = parseJsonOutput(router.ctl({"-j", "core.tcp_info"}).output);
        opened = now.isStruct() ? now.find("opened_connections")->asInt() : 0;
    }
    close(fd);
    EXPECT_EQ(opened, 1);
    RunResult socks = router.ctl({"core.sockets_list"});
    EXPECT_NE(socks.output.find("proto: tcp"), std::string::npos) << socks.output;
}

TEST_F(RpcControlTest, LargeHttpBodiesGoThroughExpectContinue) {
    // With "Expect: 100-continue" curl waits for the interim answer before the body.
    std::string big(3000, 'x');
    RunResult r = router.curl(
        {"-v", "-H", "Expect: 100-continue", "--expect100-timeout", "5", "-d",
         R"({"jsonrpc":"2.0","method":"testmod.echo","params":[1,")" + big + R"("],"id":9})",
         router.httpUrl("/RPC")});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("< HTTP/1.1 100 Continue"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"({"jsonrpc":"2.0","result":{"n":1,"s":")" + big + R"("},"id":9})"),
              std::string::npos);
}

}  // namespace
}  // namespace osprey::testsupport
