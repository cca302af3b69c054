// The statistics over RPC and HTTP, as Kamailio answers them: stats.get_statistics (kamcmd,
// ospreyctl stats), stats.fetch/fetchn, stats.reset_statistics, and GET /metrics in the
// Prometheus text format (checked with promtool).
#include <gtest/gtest.h>

#include "test/integration/rpc_test_util.h"

namespace osprey::testsupport {
namespace {

RpcRouterOptions statsOptions() {
    RpcRouterOptions o;
    o.testModule = false;  // the statistics' own /metrics page
    return o;
}

int64_t fetchn(RpcRouter& r, const std::string& sel, const std::string& key) {
    rpc::Value v = parseJsonOutput(r.ctl({"-j", "stats.fetchn", sel}).output);
    const rpc::Value* n = v.isStruct() ? v.find(key) : nullptr;
    return n != nullptr ? n->asInt() : -1;
}

TEST(RpcStatsTest, StatisticsOverRpcAndMetricsOverHttp) {
    RpcRouter router(statsOptions());
    ASSERT_TRUE(router.start()) << router.log();
    ASSERT_TRUE(router.optionsAnswered());
    ASSERT_TRUE(router.optionsAnswered());
    EXPECT_GE(fetchn(router, "core:rcv_requests", "core.rcv_requests"), 2);

    RunResult k = router.kamcmd({"stats.get_statistics", "core:"});
    EXPECT_EQ(k.exitCode, 0) << k.output;
    EXPECT_NE(k.output.find("core:rcv_requests = "), std::string::npos) << k.output;

    RunResult all = router.ctl({"stats"});
    EXPECT_EQ(all.exitCode, 0) << all.output;
    EXPECT_NE(all.output.find("- core:rcv_requests = "), std::string::npos) << all.output;

    RunResult none = router.ctl({"stats.get_statistics"});
    EXPECT_EQ(none.exitCode, 1);
    EXPECT_NE(none.output.find("400 Please provide which stats to retrieve"), std::string::npos)
        << none.output;

    RunResult fetch = router.ctl({"-j", "stats.fetch", "core:rcv_requests"});
    EXPECT_NE(fetch.output.find("\"core.rcv_requests\":\""), std::string::npos) << fetch.output;

    ASSERT_EQ(router.ctl({"stats.reset_statistics", "core:rcv_requests"}).exitCode, 0);
    EXPECT_EQ(fetchn(router, "core:rcv_requests", "core.rcv_requests"), 0);

    RunResult m = router.curl({"-i", router.httpUrl("/metrics")});
    EXPECT_EQ(m.exitCode, 0) << m.output;
    EXPECT_NE(m.output.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << m.output;
    EXPECT_NE(m.output.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
    const size_t body = m.output.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos);
    const std::string text = m.output.substr(body + 4);
    EXPECT_NE(text.find("rcv_requests"), std::string::npos) << text.substr(0, 500);
    const std::string file = router.process().dir().write("metrics.txt", text);
    RunResult lint = runOsprey({"-c", "promtool check metrics < " + file}, 20000, "/bin/sh");
    EXPECT_EQ(lint.exitCode, 0) << lint.output;
}

}  // namespace
}  // namespace osprey::testsupport
