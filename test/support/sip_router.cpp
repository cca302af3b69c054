// SipRouter.
#include "test/support/sip_router.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace osprey::testsupport {

namespace {

// A port free on [::1] a moment ago; 0 when IPv6 loopback is not available.
uint16_t freePort6(int sockType = SOCK_DGRAM) {
    int fd = socket(AF_INET6, sockType, 0);
    if (fd < 0) return 0;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin6_port);
    close(fd);
    return port;
}

}  // namespace

SipRouter::SipRouter(std::string script, SipRouterOptions opts)
    : script_(std::move(script)), opts_(std::move(opts)) {}

bool SipRouter::start() {
    std::string listen;
    if (opts_.ipv4) {
        port_ = freePort(SOCK_DGRAM);
        listen += "\"udp:127.0.0.1:" + std::to_string(port_) + "\"";
    }
    if (opts_.ipv6) {
        port6_ = freePort6();
        if (port6_ == 0) return false;
        if (!listen.empty()) listen += ", ";
        listen += "\"udp:[::1]:" + std::to_string(port6_) + "\"";
    }
    if (opts_.tcp && opts_.ipv4) {
        tcpPort_ = freePort(SOCK_STREAM);
        listen += ", \"tcp:127.0.0.1:" + std::to_string(tcpPort_) + "\"";
    }
    if (opts_.tcp && opts_.ipv6) {
        tcpPort6_ = freePort6(SOCK_STREAM);
        if (tcpPort6_ == 0) return false;
        listen += ", \"tcp:[::1]:" + std::to_string(tcpPort6_) + "\"";
    }
    if (opts_.tls && opts_.ipv4) {
        tlsPort_ = freePort(SOCK_STREAM);
        listen += ", \"tls:127.0.0.1:" + std::to_string(tlsPort_) + "\"";
    }
    if (opts_.tls && opts_.ipv6) {
        tlsPort6_ = freePort6(SOCK_STREAM);
        if (tlsPort6_ == 0) return false;
        listen += ", \"tls:[::1]:" + std::to_string(tlsPort6_) + "\"";
    }
    std::string cfg = "listen = ( " + listen + " );\n";
    cfg += "children = " + std::to_string(opts_.children) + ";\n";
    cfg += "shm_size = " + std::to_string(opts_.shmMiB) +
           ";\npkg_size = " + std::to_string(opts_.pkgMiB) + ";\n";
    cfg += "log_level = \"" + opts_.logLevel + "\";\n";
    cfg += "script = \"route.lua\";\n";
    cfg += "modules = ( " + opts_.modules + " );\n";
    // Named explicitly: the default is /run/osprey/osprey_ctl where that directory exists.
    cfg += opts_.controlSocket ? "ctl_socket = \"osprey_ctl\";\n" : "ctl_socket = \"\";\n";
    if (opts_.rpcHttp) {
        httpPort_ = freePort(SOCK_STREAM);
        cfg += "rpc_http_listen = \"127.0.0.1:" + std::to_string(httpPort_) + "\";\n";
    }
    cfg += opts_.extra;
    StartOptions so;
    so.config = cfg;
    so.files = {{"route.lua", script_}};
    proc_ = std::make_unique<OspreyProcess>(so);
    return proc_->start() && proc_->waitReady();
}

}  // namespace osprey::testsupport
