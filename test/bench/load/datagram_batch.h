// Batched UDP I/O: one recvmmsg fills up to kBatch datagrams, one sendmmsg sends everything
// queued. Batching is what lets one core of load tool drive a router on the other core.
#pragma once
#include <sys/socket.h>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace osprey::load {

inline constexpr int kBatch = 64;
inline constexpr size_t kMaxDatagram = 4096;

class RecvBatch {
public:
    RecvBatch();
    RecvBatch(const RecvBatch&) = delete;
    RecvBatch& operator=(const RecvBatch&) = delete;

    // recvmmsg with `flags` (MSG_DONTWAIT or MSG_WAITFORONE); the count, 0 on nothing/EINTR.
    int receive(int fd, int flags);
    // Datagram i of the last receive, NUL-terminated in place (its text is writable).
    std::string_view message(int i) const { return {bufs_[i].data(), msgs_[i].msg_len}; }
    char* data(int i) { return bufs_[i].data(); }
    const sockaddr_storage& source(int i) const { return from_[i]; }
    socklen_t sourceLen(int i) const { return msgs_[i].msg_hdr.msg_namelen; }

private:
    std::array<std::array<char, kMaxDatagram + 1>, kBatch> bufs_;
    std::array<mmsghdr, kBatch> msgs_;
    std::array<iovec, kBatch> iov_;
    std::array<sockaddr_storage, kBatch> from_;
};

class SendBatch {
public:
    static constexpr int kCapacity = 2 * kBatch;

    SendBatch() = default;
    SendBatch(const SendBatch&) = delete;
    SendBatch& operator=(const SendBatch&) = delete;

    bool full() const { return count_ == kCapacity; }
    bool empty() const { return count_ == 0; }
    int size() const { return count_; }
    // Room for the next datagram (kMaxDatagram bytes); nullptr when full (flush first).
    char* next() { return full() ? nullptr : bufs_[count_].data(); }
    // Queues the datagram written at next(), for `dst` (which must outlive the flush).
    void commit(size_t len, const sockaddr_storage* dst, socklen_t dstLen);
    // Sends everything queued; waits at most ~1 s for a full send buffer to drain. Returns
    // how many datagrams went out (the rest are dropped, as the network would).
    int flush(int fd);

private:
    std::array<std::array<char, kMaxDatagram>, kCapacity> bufs_;
    std::array<mmsghdr, kCapacity> msgs_{};
    std::array<iovec, kCapacity> iov_{};
    int count_ = 0;
};

}  // namespace osprey::load
