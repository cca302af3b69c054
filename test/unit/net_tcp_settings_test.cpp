// TCP settings (core/net/tcp_settings.h): Kamailio's names and units, tcp_children defaulting to
// children, range errors naming file:line.
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.h"
#include "core/net/tcp_settings.h"

namespace osprey::net {
namespace {

bool load(const std::string& text, TcpSettings* out, std::string* error) {
    config::Config cfg;
    config::ConfigError err;
    if (!config::loadConfigString(text, "test.cfg", "/tmp", cfg, err)) {
        *error = err.text();
        return false;
    }
    return loadTcpSettings(cfg, out, error);
}

TEST(TcpSettings, DefaultsFollowKamailio) {
    TcpSettings s;
    std::string error;
    ASSERT_TRUE(load("children = 3;\n", &s, &error)) << error;
    EXPECT_EQ(s.workers, 3u) << "tcp_children defaults to children";
    EXPECT_EQ(s.maxConnections, 4096u);
    EXPECT_EQ(s.maxMessage, 65536u);
    EXPECT_EQ(s.lifetimeMs, 120000);
    EXPECT_EQ(s.connectTimeoutMs, 10000);
    EXPECT_EQ(s.sendTimeoutMs, 10000);
    EXPECT_EQ(s.queueMax, 262144u);
}

TEST(TcpSettings, ExplicitValuesInTheirUnits) {
    TcpSettings s;
    std::string error;
    ASSERT_TRUE(
        load("children = 3;\ntcp_children = 5;\ntcp_max_connections = 10000;\n"
             "tcp_max_msg_size = 4096;\ntcp_connection_lifetime = 30;\n"
             "tcp_connect_timeout = 2;\ntcp_send_timeout = 3;\ntcp_conn_wq_max = 8192;\n",
             &s, &error))
        << error;
    EXPECT_EQ(s.workers, 5u);
    EXPECT_EQ(s.maxConnections, 10000u);
    EXPECT_EQ(s.maxMessage, 4096u);
    EXPECT_EQ(s.lifetimeMs, 30000);
    EXPECT_EQ(s.connectTimeoutMs, 2000);
    EXPECT_EQ(s.sendTimeoutMs, 3000);
    EXPECT_EQ(s.queueMax, 8192u);
}

TEST(TcpSettings, BudgetsFollowTheHeaps) {
    TcpSettings s;
    std::string error;
    ASSERT_TRUE(load("children = 1;\n", &s, &error)) << error;
    EXPECT_EQ(s.wqMax, 8u << 20) << "an eighth of the default 64 MiB segment";
    EXPECT_EQ(s.wqMaxPerIp, 2u << 20) << "a quarter of tcp_wq_max";
    EXPECT_EQ(s.partialMax, 2u << 20) << "a quarter of the default 8 MiB pkg heap";
    EXPECT_EQ(s.minSendProgress, 4096u);
    EXPECT_EQ(s.sendBuffer, 0);
    ASSERT_TRUE(load("shm_size = 256;\npkg_size = 16;\n", &s, &error)) << error;
    EXPECT_EQ(s.wqMax, 32u << 20);
    EXPECT_EQ(s.wqMaxPerIp, 8u << 20);
    EXPECT_EQ(s.partialMax, 4u << 20);
    ASSERT_TRUE(
        load("tcp_wq_max = 1048576;\ntcp_wq_max_per_ip = 65536;\n"
             "tcp_worker_partial_max = 131072;\ntcp_send_min_progress = 100;\n"
             "tcp_send_buffer_size = 65536;\n",
             &s, &error))
        << error;
    EXPECT_EQ(s.wqMax, 1u << 20);
    EXPECT_EQ(s.wqMaxPerIp, 65536u);
    EXPECT_EQ(s.partialMax, 131072u);
    EXPECT_EQ(s.minSendProgress, 100u);
    EXPECT_EQ(s.sendBuffer, 65536);
    ASSERT_TRUE(load("tcp_wq_max = 1048576;\n", &s, &error)) << error;
    EXPECT_EQ(s.wqMaxPerIp, 262144u) << "the per-IP default follows an explicit tcp_wq_max";
    EXPECT_FALSE(load("\ntcp_send_buffer_size = 100;\n", &s, &error));
    EXPECT_EQ(error.find("test.cfg:2: tcp_send_buffer_size must be 0"), 0u) << error;
    EXPECT_FALSE(load("tcp_wq_max = 10;\n", &s, &error));
    EXPECT_EQ(error.find("test.cfg:1: tcp_wq_max = 10 is out of range"), 0u) << error;
}

TEST(TcpSettings, ErrorsNameTheLine) {
    TcpSettings s;
    std::string error;
    EXPECT_FALSE(load("children = 2;\ntcp_children = 0;\n", &s, &error));
    EXPECT_EQ(error.find("test.cfg:2: tcp_children must be at least 1"), 0u) << error;
    EXPECT_FALSE(load("\n\ntcp_max_msg_size = 10;\n", &s, &error));
    EXPECT_EQ(error.find("test.cfg:3: tcp_max_msg_size = 10 is out of range"), 0u) << error;
    EXPECT_FALSE(load("tcp_connection_lifetime = \"long\";\n", &s, &error));
    EXPECT_NE(error.find("must be of type integer"), std::string::npos) << error;
}

}  // namespace
}  // namespace osprey::net
