#include "core/rpc/listeners.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log/log.h"

namespace osprey::rpc {

namespace {

std::vector<Listener> g_listeners;

constexpr int kBacklog = 128;

std::string errnoText(const std::string& what, const std::string& name) {
    return "cannot " + what + " " + name + ": " + strerror(errno);
}

// A socket file left by an earlier run is replaced, as Kamailio's ctl does: a server restarted
// right after a crash must get its socket back even while a dying child of the old one still
// holds it. When a server still answers there, the takeover is logged.
bool clearUnixPath(const std::string& path, const std::string& name, std::string* error) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return true;
    if (!S_ISSOCK(st.st_mode)) {
        *error = name + ": the path exists and is not a socket";
        return false;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        memcpy(a.sun_path, path.c_str(), path.size() + 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
            LM_WARN("rpc: %s: another process answered on this socket; taking it over",
                    name.c_str());
        close(fd);
    }
    unlink(path.c_str());
    return true;
}

int openUnix(const std::string& path, const std::string& name, std::string* error) {
    if (!clearUnixPath(path, name, error)) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errnoText("create a socket for", name);
        return -1;
    }
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path.c_str(), path.size() + 1);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, kBacklog) != 0) {
        *error = errnoText("listen on", name);
        close(fd);
        return -1;
    }
    // Owner and group only: the socket runs any method, including ones that change state.
    chmod(path.c_str(), 0660);
    return fd;
}

int openTcp(const RpcEndpoint& ep, const std::string& name, std::string* error) {
    const bool v6 = ep.host.find(':') != std::string::npos;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errnoText("create a socket for", name);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(ep.port);
        inet_pton(AF_INET6, ep.host.c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(ep.port);
        inet_pton(AF_INET, ep.host.c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, kBacklog) != 0) {
        *error = errnoText("listen on", name);
        close(fd);
        return -1;
    }
    // There is no authentication: every method (ul.rm, cfg.set, ...) is open to whoever
    // reaches the port.
    const bool loopback = v6 ? ep.host == "::1" : ep.host.rfind("127.", 0) == 0;
    if (!loopback)
        LM_WARN(
            "rpc: %s is not a loopback address: anyone who reaches it can run every RPC "
            "method",
            name.c_str());
    return fd;
}

bool openOne(const RpcEndpoint& ep, Front front, std::string* error) {
    if (ep.kind == RpcEndpoint::Kind::None) return true;
    Listener l;
    l.front = front;
    l.name = ep.text();
    if (ep.kind == RpcEndpoint::Kind::Unix) {
        l.fd = openUnix(ep.path, l.name, error);
        l.unixPath = ep.path;
        struct stat st;
        if (l.fd >= 0 && stat(ep.path.c_str(), &st) == 0) l.inode = st.st_ino;
    } else {
        l.fd = openTcp(ep, l.name, error);
    }
    if (l.fd < 0) return false;
    g_listeners.push_back(std::move(l));
    return true;
}

}  // namespace

bool openListeners(const RpcSettings& s, std::string* error) {
    if (openOne(s.ctl, Front::Ctl, error) && openOne(s.json, Front::JsonRpc, error) &&
        openOne(s.http, Front::Http, error))
        return true;
    closeListeners();
    return false;
}

void dropListenersInChild() {
    for (const Listener& l : g_listeners) close(l.fd);
    g_listeners.clear();
}

void closeListeners() {
    for (const Listener& l : g_listeners) {
        close(l.fd);
        // Another server may have taken the path over since: leave its socket alone.
        struct stat st;
        if (!l.unixPath.empty() && stat(l.unixPath.c_str(), &st) == 0 && st.st_ino == l.inode)
            unlink(l.unixPath.c_str());
    }
    g_listeners.clear();
}

std::span<const Listener> listeners() {
    return g_listeners;
}

}  // namespace osprey::rpc
