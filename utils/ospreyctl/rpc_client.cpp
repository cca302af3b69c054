#include "utils/ospreyctl/rpc_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/rpc/json.h"

namespace osprey::ctl {

namespace {

CallResult noConnection(const Target& t, const std::string& what) {
    CallResult r;
    r.status = CallStatus::NoConnection;
    r.message = "cannot " + what + " " + t.text + ": " + strerror(errno);
    return r;
}

int connectTo(const Target& t) {
    if (!t.tcp) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        if (fd < 0 || t.path.size() >= sizeof a.sun_path) {
            if (fd >= 0) close(fd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(a.sun_path, t.path.c_str(), t.path.size() + 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        return fd;
    }
    const bool v6 = t.host.find(':') != std::string::npos;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_storage ss{};
    socklen_t len = 0;
    int ok = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(t.port);
        ok = inet_pton(AF_INET6, t.host.c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(t.port);
        ok = inet_pton(AF_INET, t.host.c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    if (ok != 1) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

}  // namespace

CallResult call(const Target& t, const std::string& method, const std::vector<rpc::Value>& params,
                int timeoutMs) {
    int fd = connectTo(t);
    if (fd < 0) return noConnection(t, "connect to");
    std::string req = "{\"jsonrpc\":\"2.0\",\"method\":";
    rpc::writeJsonString(method, &req);
    req += ",\"params\":[";
    for (size_t i = 0; i < params.size(); ++i) {
        if (i > 0) req += ",";
        rpc::writeJson(params[i], &req);
    }
    req += "],\"id\":1}\n";
    for (size_t sent = 0; sent < req.size();) {
        ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            CallResult r = noConnection(t, "send to");
            close(fd);
            return r;
        }
        sent += static_cast<size_t>(n);
    }
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    // The server ends every JSON-RPC reply with a newline (its JSON has none inside), so the
    // reply is read up to it and parsed once, however large it is.
    std::string in;
    for (;;) {
        if (!in.empty() && in.back() == '\n') break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd pfd{fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) == 0) {
            close(fd);
            errno = ETIMEDOUT;
            return noConnection(t, "get a reply from");
        }
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 && !in.empty()) break;  // closed after a reply without its newline
        if (n <= 0) {
            if (n == 0) errno = ECONNRESET;
            CallResult r = noConnection(t, "read the reply from");
            close(fd);
            return r;
        }
        in.append(buf, static_cast<size_t>(n));
    }
    rpc::Value doc;
    rpc::JsonParse p = rpc::parseJson(in, &doc);
    if (p.status != rpc::JsonStatus::Ok) {
        close(fd);
        CallResult r;
        r.status = CallStatus::NoConnection;
        r.message = "bad reply from " + t.text + ": " + p.error;
        return r;
    }
    close(fd);
    CallResult r;
    if (const rpc::Value* err = doc.find("error")) {
        r.status = CallStatus::RpcError;
        if (const rpc::Value* c = err->find("code")) r.code = static_cast<int>(c->asInt());
        if (const rpc::Value* m = err->find("message")) r.message = m->asString();
        return r;
    }
    r.status = CallStatus::Ok;
    if (const rpc::Value* res = doc.find("result")) r.result = *res;
    return r;
}

}  // namespace osprey::ctl
