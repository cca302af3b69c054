// Loopback stream sockets for the test peers (SipTcpConn, SipTlsConn and their listeners):
// addresses on 127.0.0.1 or [::1], a bounded connect and a listening socket.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace osprey::testsupport {

// 127.0.0.1:port (AF_INET) or [::1]:port (AF_INET6) in ss; returns its length.
socklen_t loopbackAddress(int family, uint16_t port, sockaddr_storage* ss);
// The local port fd is bound to; 0 when unknown.
uint16_t localPortOf(int fd);
// Connects the non-blocking socket fd to the loopback address at port, waiting at most
// timeoutMs; 0 on success, else the errno (ETIMEDOUT on timeout).
int connectLoopback(int fd, int family, uint16_t port, int timeoutMs);
// A listening socket (close-on-exec, blocking) on the loopback address at port (0: any);
// -1 on failure.
int listenLoopback(int family, uint16_t port);

}  // namespace osprey::testsupport
