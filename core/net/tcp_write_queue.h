// The bytes waiting to be written to one TCP connection, in shm so that any process can queue
// a message (a reply routed by a UDP worker, a retransmission from the timer process) and the
// connection's owner writes it out when the socket takes it (docs/design.md §2 "a message for an
// existing connection is sent over that connection from whichever worker routes it").
//
// One chunk per queued message (the spans are gathered into it), so a partly written message
// stays in front of everything queued after it and messages never interleave on the wire.
// Callers hold the connection's lock (TcpConn::lock) around every call.
//
// `charged` is what the queue holds in shm (chunk headers included): the caller takes it from
// the write-queue budget (tcp_wq_budget.h) before append and gives back what flush and clear
// freed (the difference of `charged` before and after).
#pragma once
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace osprey::net {

struct WqChunk {
    WqChunk* next;
    uint32_t len;  // octets in data
    uint32_t off;  // octets already written
    char data[];
};

enum class FlushResult : uint8_t {
    Empty,    // everything written
    Blocked,  // the socket is full; wait for EPOLLOUT
    Error,    // the socket failed (errno in *err): close the connection
};

struct WriteQueue {
    WqChunk* head = nullptr;
    WqChunk* tail = nullptr;
    size_t bytes = 0;            // octets not yet written
    size_t charged = 0;          // shm held by the chunks: sum of chargeFor(chunk length)
    int64_t stalledSinceMs = 0;  // when the queue last went from empty to not, or last progress
    // The owner's last write found the socket full: the peer is not taking data. Until the
    // owner has tried, a queue only waits for its owner (busy with other connections), which
    // says nothing about the peer; the write-queue budget cuts only blocked queues.
    bool blocked = false;

    bool empty() const { return head == nullptr; }
    static constexpr size_t chargeFor(size_t len) { return sizeof(WqChunk) + len; }

    // Copies the spans (after their first `skip` octets) into a new chunk at the tail.
    // False when shm is exhausted (nothing queued).
    bool append(const iovec* iov, unsigned count, size_t skip, int64_t nowMs);
    // Writes as much as the socket takes (non-blocking); frees what was written.
    FlushResult flush(int fd, int64_t nowMs, int* err);
    // The same through another writer (TLS: tls_session.h): write(ctx, iov, n) returns the
    // octets it took, or -1 with errno (EAGAIN: nothing more fits now).
    using Writer = ssize_t (*)(void* ctx, const iovec* iov, unsigned count);
    FlushResult flush(Writer write, void* ctx, int64_t nowMs, int* err);
    // Drops everything queued.
    void clear();
};

}  // namespace osprey::net
