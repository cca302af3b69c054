// WriteQueue: shm chunks written with one sendmsg over up to kFlushSpans chunks.
#include "core/net/tcp_write_queue.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "mem/shm.h"

namespace osprey::net {

namespace {
constexpr unsigned kFlushSpans = 64;
}

bool WriteQueue::append(const iovec* iov, unsigned count, size_t skip, int64_t nowMs) {
    size_t total = 0;
    for (unsigned i = 0; i < count; ++i) total += iov[i].iov_len;
    if (skip >= total) return true;
    const size_t len = total - skip;
    auto* c = static_cast<WqChunk*>(mem::shmAlloc(sizeof(WqChunk) + len));
    if (c == nullptr) return false;
    c->next = nullptr;
    c->len = static_cast<uint32_t>(len);
    c->off = 0;
    size_t at = 0;
    for (unsigned i = 0; i < count; ++i) {
        const char* base = static_cast<const char*>(iov[i].iov_base);
        size_t n = iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        base += skip;
        n -= skip;
        skip = 0;
        std::memcpy(c->data + at, base, n);
        at += n;
    }
    if (head == nullptr) {
        head = c;
        stalledSinceMs = nowMs;
        blocked = false;
    } else {
        tail->next = c;
    }
    tail = c;
    bytes += len;
    charged += chargeFor(len);
    return true;
}

namespace {
ssize_t socketWrite(void* ctx, const iovec* iov, unsigned count) {
    msghdr mh{};
    mh.msg_iov = const_cast<iovec*>(iov);
    mh.msg_iovlen = count;
    ssize_t w;
    do {
        w = sendmsg(*static_cast<int*>(ctx), &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    return w;
}
}  // namespace

FlushResult WriteQueue::flush(int fd, int64_t nowMs, int* err) {
    return flush(socketWrite, &fd, nowMs, err);
}

FlushResult WriteQueue::flush(Writer write, void* ctx, int64_t nowMs, int* err) {
    while (head != nullptr) {
        iovec iov[kFlushSpans];
        unsigned n = 0;
        size_t want = 0;
        for (WqChunk* c = head; c != nullptr && n < kFlushSpans; c = c->next) {
            iov[n++] = iovec{c->data + c->off, size_t{c->len - c->off}};
            want += c->len - c->off;
        }
        const ssize_t w = write(ctx, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                blocked = true;
                return FlushResult::Blocked;
            }
            *err = errno;
            return FlushResult::Error;
        }
        stalledSinceMs = nowMs;
        size_t left = static_cast<size_t>(w);
        bytes -= left;
        while (left > 0) {
            WqChunk* c = head;
            const size_t rest = c->len - c->off;
            if (left < rest) {
                c->off += static_cast<uint32_t>(left);
                break;
            }
            left -= rest;
            head = c->next;
            charged -= chargeFor(c->len);
            mem::shmFree(c);
        }
        if (head == nullptr) tail = nullptr;
        if (static_cast<size_t>(w) < want) {  // the socket is full
            blocked = true;
            return FlushResult::Blocked;
        }
    }
    blocked = false;
    return FlushResult::Empty;
}

void WriteQueue::clear() {
    while (head != nullptr) {
        WqChunk* c = head;
        head = c->next;
        mem::shmFree(c);
    }
    tail = nullptr;
    bytes = 0;
    charged = 0;
    blocked = false;
}

}  // namespace osprey::net
