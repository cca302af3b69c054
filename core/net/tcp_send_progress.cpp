// kernelSendState: SIOCOUTQ and TCP_INFO. <linux/tcp.h> (whose tcp_info has tcpi_bytes_acked)
// clashes with <netinet/tcp.h>, so it is included here alone.
#include "core/net/tcp_send_progress.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstddef>

namespace osprey::net {

KernelSendState kernelSendState(int fd) {
    KernelSendState s;
    int outq = 0;
    if (ioctl(fd, SIOCOUTQ, &outq) != 0 || outq < 0) return s;
    s.unsent = static_cast<uint32_t>(outq);
    tcp_info info{};
    socklen_t len = sizeof info;
    // tcpi_bytes_acked exists since Linux 4.1; an older kernel fills less and we cannot tell.
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof(tcp_info, tcpi_bytes_acked) + sizeof info.tcpi_bytes_acked)
        return s;
    s.acked = info.tcpi_bytes_acked;
    s.ok = true;
    return s;
}

}  // namespace osprey::net
