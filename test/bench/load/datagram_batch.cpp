#include "test/bench/load/datagram_batch.h"

#include <poll.h>
#include <cerrno>
#include <cstring>

namespace osprey::load {

RecvBatch::RecvBatch() {
    for (int i = 0; i < kBatch; i++) {
        iov_[i] = {bufs_[i].data(), kMaxDatagram};
        std::memset(&msgs_[i], 0, sizeof(msgs_[i]));
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
        msgs_[i].msg_hdr.msg_name = &from_[i];
    }
}

int RecvBatch::receive(int fd, int flags) {
    for (int i = 0; i < kBatch; i++) msgs_[i].msg_hdr.msg_namelen = sizeof(from_[i]);
    int n = recvmmsg(fd, msgs_.data(), kBatch, flags, nullptr);
    if (n <= 0) return 0;
    for (int i = 0; i < n; i++) bufs_[i][msgs_[i].msg_len] = '\0';
    return n;
}

void SendBatch::commit(size_t len, const sockaddr_storage* dst, socklen_t dstLen) {
    iov_[count_] = {bufs_[count_].data(), len};
    std::memset(&msgs_[count_], 0, sizeof(msgs_[count_]));
    msgs_[count_].msg_hdr.msg_iov = &iov_[count_];
    msgs_[count_].msg_hdr.msg_iovlen = 1;
    msgs_[count_].msg_hdr.msg_name = const_cast<sockaddr_storage*>(dst);
    msgs_[count_].msg_hdr.msg_namelen = dstLen;
    count_++;
}

int SendBatch::flush(int fd) {
    int done = 0, refused = 0;
    for (int waits = 0; done < count_ && waits < 1000;) {
        int n = sendmmsg(fd, msgs_.data() + done, static_cast<unsigned>(count_ - done), 0);
        if (n > 0) {
            done += n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, 1);
            waits++;
        } else if (n < 0 && errno == EINTR) {
            waits++;
        } else if (n < 0 && errno == ECONNREFUSED) {
            // An ICMP error of an earlier datagram (nobody listening yet): this one may go.
            waits++;
        } else {
            // A datagram the kernel refuses (e.g. no route): skip it, keep the rest.
            done++;
            refused++;
        }
    }
    count_ = 0;
    return done - refused;
}

}  // namespace osprey::load
