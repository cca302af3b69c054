// Shared by the RPC integration tests: an osprey with the control plane on (ctl_socket and
// jsonrpc_socket in its temp dir, HTTP on a free loopback port), the test module testmod_rpc
// next to the real modules, a script that answers OPTIONS, and runners for the real clients
// (kamcmd, curl, ospreyctl) with bounded waits.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/rpc/json.h"
#include "test/support/osprey_process.h"
#include "test/support/sip_client.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {

inline constexpr const char* kKamcmd = "/usr/sbin/kamcmd";
inline constexpr const char* kCurl = "/usr/bin/curl";
inline std::string ospreyctlBinary() {
    return OSPREY_BUILD_DIR "/ospreyctl";
}

struct RpcRouterOptions {
    std::string modules;  // more module entries, e.g. "{ name = \"usrloc\"; }"
    std::string extra;    // more settings
    unsigned maxConnections = 64;
    unsigned idleTimeoutS = 10;
    bool tcp = false;        // a SIP TCP listener too (tcpPort())
    bool testModule = true;  // testmod_rpc (its methods and a dummy /metrics page)
    std::string script =
        "function ksr_request_route()\n"
        "    if KSR.is_OPTIONS() then KSR.sl.sl_send_reply(200, \"OK\") return end\n"
        "    KSR.sl.sl_send_reply(404, \"Not Here\")\n"
        "end\n";
};

class RpcRouter {
public:
    explicit RpcRouter(RpcRouterOptions o = {}) : opts_(std::move(o)) {}

    bool start() {
        // The real modules and the test module side by side.
        const std::string mods = modsDir_.path();
        const char* real[] = {"sl", "usrloc", "registrar", "tm", "maxfwd"};
        for (const char* m : real) {
            std::string target = std::string(OSPREY_BUILD_DIR "/modules/") + m;
            if (symlink(target.c_str(), (mods + "/" + m).c_str()) != 0) return false;
        }
        if (symlink(OSPREY_BUILD_DIR "/test/modules/testmod_rpc",
                    (mods + "/testmod_rpc").c_str()) != 0)
            return false;
        sipPort_ = freePort(SOCK_DGRAM);
        httpPort_ = freePort(SOCK_STREAM);
        std::string listen = "\"udp:127.0.0.1:" + std::to_string(sipPort_) + "\"";
        if (opts_.tcp) {
            tcpPort_ = freePort(SOCK_STREAM);
            listen += ", \"tcp:127.0.0.1:" + std::to_string(tcpPort_) + "\"";
        }
        std::string cfg = "listen = ( " + listen + " );\n";
        cfg += "children = 2;\nshm_size = 16;\npkg_size = 4;\nlog_level = \"info\";\n";
        cfg += "script = \"route.lua\";\nmodules_path = \"" + mods + "\";\n";
        cfg += "jsonrpc_socket = \"osprey_rpc.sock\";\n";
        cfg += "rpc_http_listen = \"127.0.0.1:" + std::to_string(httpPort_) + "\";\n";
        cfg += "rpc_max_connections = " + std::to_string(opts_.maxConnections) + ";\n";
        cfg += "rpc_idle_timeout = " + std::to_string(opts_.idleTimeoutS) + ";\n";
        cfg += opts_.extra;
        cfg += std::string("modules = ( { name = \"sl\"; }") +
               (opts_.testModule ? ", { name = \"testmod_rpc\"; }" : "") +
               (opts_.modules.empty() ? std::string() : ", " + opts_.modules) + " );\n";
        StartOptions so;
        so.config = cfg;
        so.files = {{"route.lua", opts_.script}};
        proc_ = std::make_unique<OspreyProcess>(so);
        return proc_->start() && proc_->waitReady();
    }

    OspreyProcess& process() { return *proc_; }
    std::string log() const { return proc_ ? proc_->log() : std::string(); }
    uint16_t sipPort() const { return sipPort_; }
    uint16_t httpPort() const { return httpPort_; }
    uint16_t tcpPort() const { return tcpPort_; }
    std::string ctlSocket() const { return proc_->dir().file("osprey_ctl"); }
    std::string jsonSocket() const { return proc_->dir().file("osprey_rpc.sock"); }
    std::string configFile() const { return proc_->dir().file("osprey.cfg"); }
    std::string httpUrl(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(httpPort_) + path;
    }

    RunResult kamcmd(const std::vector<std::string>& args) const {
        std::vector<std::string> a = {"-s", "unix:" + ctlSocket()};
        a.insert(a.end(), args.begin(), args.end());
        return runOsprey(a, 10000, kKamcmd);
    }
    RunResult ctl(const std::vector<std::string>& args) const {
        std::vector<std::string> a = {"-c", configFile()};
        a.insert(a.end(), args.begin(), args.end());
        return runOsprey(a, 10000, ospreyctlBinary());
    }
    RunResult curl(const std::vector<std::string>& args) const {
        std::vector<std::string> a = {"-sS", "--max-time", "10"};
        a.insert(a.end(), args.begin(), args.end());
        return runOsprey(a, 15000, kCurl);
    }

    // An OPTIONS to the router is answered 200.
    bool optionsAnswered() const {
        SipPeer uac;
        SipRequest r;
        r.ruri = "sip:127.0.0.1:" + std::to_string(sipPort_);
        if (!uac.sendTo(buildRequest(uac, r), sipPort_)) return false;
        auto resp = uac.receiveMsg(3000);
        return resp != nullptr && resp->status() == 200;
    }

private:
    RpcRouterOptions opts_;
    TempDir modsDir_;
    uint16_t sipPort_ = 0;
    uint16_t httpPort_ = 0;
    uint16_t tcpPort_ = 0;
    std::unique_ptr<OspreyProcess> proc_;
};

// A connected client socket (blocking), or -1.
inline int connectUnix(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path.c_str(), path.size() + 1);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

inline int connectTcp(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

inline bool sendAll(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

struct ReadOutcome {
    std::string data;
    bool closed = false;  // the server closed the connection (EOF or reset) within the wait
};

// Reads until the peer closes or timeoutMs passes.
inline ReadOutcome readUntilClosed(int fd, int timeoutMs) {
    ReadOutcome r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) return r;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) return r;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            r.closed = true;
            return r;
        }
        r.data.append(buf, static_cast<size_t>(n));
    }
}

// ospreyctl -j output parsed; Null when it is not JSON.
inline rpc::Value parseJsonOutput(const std::string& text) {
    rpc::Value v;
    std::string t = text + "\n";  // a number at the very end needs a delimiter
    if (rpc::parseJson(t, &v).status != rpc::JsonStatus::Ok) return rpc::Value();
    return v;
}

}  // namespace osprey::testsupport
