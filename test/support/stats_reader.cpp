// StatsReader: statistics over the control socket and GET /metrics; promtool's lint.
#include "test/support/stats_reader.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "core/rpc/json.h"
#include "test/support/proc_info.h"
#include "test/support/read_file.h"
#include "test/support/temp_dir.h"
#include "test/support/time_scale.h"

namespace osprey::testsupport {

namespace {

// Closes the descriptor when the exchange is over, however it ends.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

bool sendAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

// Reads until stop(buffer) holds, the peer closes or timeoutMs passes.
std::string readUntil(int fd, int timeoutMs, const std::function<bool(const std::string&)>& stop) {
    std::string buf;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!stop(buf)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char chunk[16384];
        const ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
    }
    return buf;
}

// One JSON-RPC call on a unix socket; the answer's line (each reply ends with a newline), or
// empty.
std::string jsonRpcCall(const std::string& path, const std::string& request) {
    Fd s{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (s.fd < 0 || path.size() >= sizeof a.sun_path) return {};
    memcpy(a.sun_path, path.c_str(), path.size() + 1);
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
    if (!sendAll(s.fd, request)) return {};
    std::string reply = readUntil(s.fd, scaledMs(3000), [](const std::string& b) {
        return b.find('\n') != std::string::npos;
    });
    const size_t nl = reply.find('\n');
    return nl == std::string::npos ? std::string() : reply.substr(0, nl + 1);
}

}  // namespace

rpc::Value ctlCall(OspreyProcess& osprey, const std::string& method,
                   const std::string& paramsJson) {
    const std::string reply = jsonRpcCall(osprey.dir().file("osprey_ctl"),
                                          R"({"jsonrpc":"2.0","method":")" + method +
                                              R"(","params":)" + paramsJson + R"(,"id":1})" + "\n");
    rpc::Value doc;
    if (reply.empty() || rpc::parseJson(reply, &doc).status != rpc::JsonStatus::Ok) return {};
    return doc;
}

StatsReader::Values StatsReader::read(OspreyProcess& osprey) {
    Values v;
    const std::string reply =
        jsonRpcCall(osprey.dir().file("osprey_ctl"),
                    R"({"jsonrpc":"2.0","method":"stats.get_statistics","params":["all"],"id":1})"
                    "\n");
    rpc::Value doc;
    if (reply.empty() || rpc::parseJson(reply, &doc).status != rpc::JsonStatus::Ok ||
        !doc.isStruct())
        return v;
    const rpc::Value* result = doc.find("result");
    if (result == nullptr || !result->isArray()) return v;
    // Kamailio's answer: one "group:name = value" string per statistic.
    for (const rpc::Value& line : result->items()) {
        const std::string& s = line.asString();
        const size_t eq = s.find(" = ");
        if (eq == std::string::npos) continue;
        v[s.substr(0, eq)] = std::strtoll(s.c_str() + eq + 3, nullptr, 10);
    }
    return v;
}

StatsReader::Values StatsReader::waitFor(OspreyProcess& osprey,
                                         const std::function<bool(const Values&)>& done,
                                         int timeoutMs) {
    Values last;
    pollUntil(
        [&] {
            last = read(osprey);
            return !last.empty() && done(last);
        },
        scaledMs(timeoutMs), 50);
    return last;
}

int64_t StatsReader::get(const Values& v, const std::string& name) {
    const auto it = v.find(name);
    return it == v.end() ? -1 : it->second;
}

std::string fetchMetrics(uint16_t port) {
    Fd s{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s.fd < 0 || connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
    if (!sendAll(s.fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
        return {};
    const std::string reply =
        readUntil(s.fd, scaledMs(5000), [](const std::string&) { return false; });
    const size_t body = reply.find("\r\n\r\n");
    if (reply.rfind("HTTP/1.1 200 ", 0) != 0 || body == std::string::npos) return {};
    return reply.substr(body + 4);
}

LintResult promtoolCheckMetrics(const std::string& text) {
    LintResult r;
    TempDir dir;
    const std::string in = dir.write("metrics.prom", text);
    const std::string out = dir.file("promtool.out");
    const std::string cmd = "promtool check metrics < '" + in + "' > '" + out + "' 2>&1";
    const int status = std::system(cmd.c_str());
    r.exitCode = status == -1 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    r.output = readFile(out);
    return r;
}

}  // namespace osprey::testsupport
