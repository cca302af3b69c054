// The command channel of each TCP worker: a Unix datagram socketpair created in the master
// before fork, so every process can write to every worker. tcp-main passes accepted sockets
// over it (SCM_RIGHTS); any process asks a worker to open an outgoing connection it owns, or
// wakes it because bytes were queued for one of its connections.
//
// A datagram is one command, so writers in different processes never interleave. A socketpair
// is limited by the writer side's send buffer only (not net.unix.max_dgram_qlen), which is
// raised at creation. Writers other than tcp-main never block: a wake-up that finds the channel
// full is left pending (TcpConn::wakePending) and the owner's periodic sweep picks it up.
#pragma once
#include <cstdint>

#include "core/net/endpoint.h"

namespace osprey::net {

enum class TcpCmd : uint8_t {
    Adopt,    // the socket of accepted connection connId comes with this command
    Connect,  // open outgoing connection connId (state Connecting)
    Wake,     // bytes were queued for connId, or it should be closed
};

struct TcpCommand {
    TcpCmd cmd = TcpCmd::Wake;
    ConnId connId = 0;
};

// Master, before fork; false (errno set) on failure.
bool createTcpChannels(unsigned workers);
void closeTcpChannels();

// The read end a worker waits on (non-blocking).
int tcpChannelFd(unsigned worker);

// Sends a command (with fd when fd >= 0). wait: block while the channel is full, up to
// about half a second (tcp-main only); otherwise fail at once. False with errno set.
bool sendTcpCommand(unsigned worker, const TcpCommand& c, int fd = -1, bool wait = false);

// Takes one command from a worker's channel; false when there is none. *fd gets a passed
// socket (the caller owns it) or -1.
bool receiveTcpCommand(int channelFd, TcpCommand* c, int* fd);

}  // namespace osprey::net
