// The two records every transport shares with the router (the seam a stream transport plugs
// into): where a received message came from (RecvInfo, handed to route::onMessage) and where
// an outgoing one goes (Destination, handed to net::send).
//
// UDP fills socket (the listen socket it arrived on) and leaves connId 0. A TCP/TLS transport
// fills connId with the connection the message arrived on; a reply or in-dialog request that
// must go back over that connection carries the same connId in its Destination, and the
// stream sender (net::setStreamSender) finds the connection by it, or by address when 0.
#pragma once
#include <cstdint>

#include "core/config/listen_addr.h"
#include "core/net/sock_addr.h"

namespace osprey::net {

using Proto = config::Proto;

struct RecvInfo {
    Proto proto = Proto::Udp;
    SockAddr src;         // the peer's address and port
    int socket = -1;      // index into listenSockets() the message arrived on
    uint32_t connId = 0;  // stream transports: the connection; 0 for UDP
};

struct Destination {
    Proto proto = Proto::Udp;
    SockAddr addr;
    int socket = -1;      // listen socket to send from; -1: net::send chooses one
    uint32_t connId = 0;  // stream transports: an existing connection; 0: by address
};

}  // namespace osprey::net
