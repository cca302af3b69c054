// A UDP endpoint given as "ip:port" or "[ipv6]:port", the loopback rule every benchmark obeys
// (traffic only to 127.0.0.0/8 and ::1 unless the user says otherwise), and the socket the
// tool sends and receives on.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <string>
#include <string_view>

namespace osprey::load {

struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string ip;  // as written, without brackets
    int port = 0;

    bool isV6() const { return addr.ss_family == AF_INET6; }
    // The host part of a SIP URI or Via: "127.0.0.1" or "[::1]".
    std::string uriHost() const { return isV6() ? "[" + ip + "]" : ip; }
    // "host:port" in URI form.
    std::string uriHostPort() const { return uriHost() + ":" + std::to_string(port); }
};

// False when the text is not a numeric address with a port (no name resolution: a benchmark
// must not depend on DNS).
bool parseEndpoint(std::string_view text, Endpoint& out);

bool isLoopback(const Endpoint& e);

// The same endpoint with another port (used to bind the UAC next to its target's family).
Endpoint withPort(const Endpoint& e, int port);

// A UDP socket bound to `local`, with large kernel buffers so a burst of a full window is not
// dropped by the kernel before the tool reads it; -1 on failure (errno set).
int openUdpSocket(const Endpoint& local, bool nonBlocking);
// The listening socket of a serving mode (uas, relay): bound to `listen`, its blocking receive
// wakes at least every 200 ms so the mode can look at the clock; on failure says so, naming
// `mode`, and returns -1.
int openServingSocket(const Endpoint& listen, const char* mode);

// The port the socket is bound to (after binding port 0).
int boundPort(int fd);

}  // namespace osprey::load
