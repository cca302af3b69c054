// The listen sockets of this run (docs/design.md §2): opened in the master before fork from the
// config's `listen` list, inherited by every worker. This table also tells the router what to
// put in its own Via (sent-by) and which socket to send from.
//
// UDP sockets are opened here. A stream transport (TCP/TLS) opens its own listeners and adds
// them with addListenSocket, so every transport's sockets share one index space (RecvInfo::socket,
// Destination::socket).
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/net/endpoint.h"

namespace osprey::net {

struct ListenSocket {
    Proto proto = Proto::Udp;
    int fd = -1;
    SockAddr bound;          // the address bound (port filled in when the config said 0)
    bool wildcard = false;   // bound to 0.0.0.0 or ::
    std::string host;        // advertised host: "127.0.0.1", "[::1]"; a local address for wildcards
    uint16_t port = 0;
    std::string sentBy;      // "127.0.0.1:5060": host:port for our Via
    std::string viaPrefix;   // "Via: SIP/2.0/UDP 127.0.0.1:5060;branch="
    std::string name;        // "udp:127.0.0.1:5060", for logs
};

// Socket buffer sizes asked for (the kernel caps them at net.core.[rw]mem_max).
inline constexpr int kUdpBufferBytes = 8 << 20;
// How long an idle UDP worker blocks in one receive before it looks at its signals.
inline constexpr int kUdpReceiveTimeoutMs = 100;

// Opens and binds every UDP listener of cfg. On failure closes what it opened and sets *error
// ("cannot bind udp:127.0.0.1:5060: Address already in use").
bool openUdpSockets(const config::Config& cfg, std::string* error);

// Fills what a socket bound to `bound` advertises (host, port, sentBy, viaPrefix, name).
void describeSocket(const SockAddr& bound, Proto proto, ListenSocket* out);

// Adds a socket opened by another transport; returns its index.
int addListenSocket(ListenSocket s);

std::span<const ListenSocket> listenSockets();
const ListenSocket* listenSocket(int index);  // nullptr when out of range
size_t udpSocketCount();

// The socket to send from to an address of `family` over proto: `preferred` (usually the
// one the message came in on) when it fits, else the first of that proto and family; -1 when
// there is none.
int chooseSocket(Proto proto, int family, int preferred);

void closeListenSockets();

}  // namespace osprey::net
