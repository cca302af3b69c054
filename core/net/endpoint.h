// The two records every transport shares with the router (the seam a stream transport plugs
// into): where a received message came from (RecvInfo, handed to route::onMessage) and where
// an outgoing one goes (Destination, handed to net::send).
//
// UDP fills socket (the listen socket it arrived on) and leaves connId 0. A TCP/TLS transport
// fills connId with the connection the message arrived on; a reply or in-dialog request that
// must go back over that connection carries the same connId in its Destination, and the
// stream sender (net::setStreamSender) finds the connection by it, or by address when 0.
//
// A connection id is 64 bits (core/net/tcp_conn_table.h: a slot and a 32-bit generation) so
// that one slot never hands out the same id twice while a reply to an old one can still come.
#pragma once
#include <cstdint>

#include "core/config/listen_addr.h"
#include "core/net/sock_addr.h"

namespace osprey::net {

using Proto = config::Proto;
using ConnId = uint64_t;

struct RecvInfo {
    Proto proto = Proto::Udp;
    SockAddr src;       // the peer's address and port
    int socket = -1;    // index into listenSockets() the message arrived on
    ConnId connId = 0;  // stream transports: the connection; 0 for UDP
};

struct Destination {
    Proto proto = Proto::Udp;
    SockAddr addr;
    int socket = -1;    // listen socket to send from; -1: net::send chooses one
    ConnId connId = 0;  // stream transports: an existing connection; 0: by address
    // The connection connId must have addr as its peer, address and port. False when addr's
    // port is not the connection's (a reply's Via sent-by without rport): then the address
    // alone is compared.
    bool connPortKnown = true;
    // Stream transports: only an existing connection may carry it; none is opened
    // (KSR.set_reply_no_connect).
    bool noConnect = false;
    // TLS to a next hop named by a host name: the name, for SNI and for the check of the
    // server's certificate (RFC 5922 §7.1); "" for an address. Used when a new connection is
    // opened.
    char serverName[64] = {};
};

}  // namespace osprey::net
