// Starts a real osprey as a SIP router for integration tests: one UDP listener on a free
// loopback port (IPv4, IPv6 or both), the given Lua script, the sl and maxfwd modules.
//
//   SipRouter r(R"(function ksr_request_route() KSR.sl.sl_send_reply(200, "OK") end)");
//   ASSERT_TRUE(r.start()) << r.log();
//   SipPeer uac;  uac.sendTo(..., r.port());
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "test/support/osprey_process.h"

namespace osprey::testsupport {

struct SipRouterOptions {
    unsigned children = 2;
    bool ipv4 = true;
    bool ipv6 = false;  // a listener on [::1] (same port number when free)
    bool tcp = false;   // TCP listeners too, on ports of their own (tcpPort(), tcpPort6())
    // TLS listeners too (tlsPort(), tlsPort6()); the `tls = { ... }` group goes in `extra`.
    bool tls = false;
    std::string modules = "{ name = \"sl\"; }, { name = \"maxfwd\"; }";
    unsigned shmMiB = 16;  // shm_size
    unsigned pkgMiB = 4;   // pkg_size
    std::string extra;     // more config lines
    // The control socket (osprey_ctl next to the config; StatsReader reads through it). Off
    // by default, so the children are the SIP workers only; the RPC tests use their own router.
    bool controlSocket = false;
    // rpc_http_listen on a free loopback port (httpPort(): GET /metrics, POST /RPC).
    bool rpcHttp = false;
    std::string logLevel = "info";
};

class SipRouter {
public:
    explicit SipRouter(std::string script, SipRouterOptions opts = {});

    // Starts osprey and waits until every worker is ready; false on failure (see log()).
    bool start();
    uint16_t port() const { return port_; }
    uint16_t port6() const { return port6_; }
    uint16_t tcpPort() const { return tcpPort_; }
    uint16_t tcpPort6() const { return tcpPort6_; }
    uint16_t tlsPort() const { return tlsPort_; }
    uint16_t tlsPort6() const { return tlsPort6_; }
    uint16_t httpPort() const { return httpPort_; }
    std::string uri() const { return "sip:127.0.0.1:" + std::to_string(port_); }
    std::string log() const { return proc_ ? proc_->log() : std::string(); }
    OspreyProcess& process() { return *proc_; }
    std::vector<int> workerPids() { return proc_->childPids(); }

private:
    std::string script_;
    SipRouterOptions opts_;
    uint16_t port_ = 0;
    uint16_t port6_ = 0;
    uint16_t tcpPort_ = 0;
    uint16_t tcpPort6_ = 0;
    uint16_t tlsPort_ = 0;
    uint16_t tlsPort6_ = 0;
    uint16_t httpPort_ = 0;
    std::unique_ptr<OspreyProcess> proc_;
};

}  // namespace osprey::testsupport
