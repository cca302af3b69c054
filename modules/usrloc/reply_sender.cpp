// Write-through replies sent by the usrloc process (see reply_sender.h).
#include "modules/usrloc/reply_sender.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/sock_addr.h"
#include "modules/usrloc/change_ring.h"

namespace osprey::usrloc {

namespace {

constexpr unsigned kBurst = 64;

struct Burst {
    mmsghdr msgs[kBurst];
    iovec iov[kBurst];
    net::SockAddr to[kBurst];
    int fd = -1;
    unsigned n = 0;
    size_t sent = 0;

    void flush() {
        unsigned i = 0;
        while (i < n) {
            const int r = sendmmsg(fd, msgs + i, n - i, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                ++i;  // a datagram the kernel refused is one SIP retransmits
                continue;
            }
            sent += static_cast<size_t>(r);
            i += static_cast<unsigned>(r);
        }
        n = 0;
    }

    void add(int sockFd, std::string_view address, std::string_view text) {
        if (n == kBurst || (n != 0 && sockFd != fd)) flush();
        fd = sockFd;
        net::SockAddr& a = to[n];
        if (address.size() > sizeof a.u) return;
        std::memcpy(&a.u, address.data(), address.size());
        a.len = static_cast<socklen_t>(address.size());
        iov[n] = {const_cast<char*>(text.data()), text.size()};
        msghdr& h = msgs[n].msg_hdr;
        h = msghdr{};
        h.msg_name = &a.u.sa;
        h.msg_namelen = a.len;
        h.msg_iov = &iov[n];
        h.msg_iovlen = 1;
        ++n;
    }
};

void logNotConfirmed(std::string_view aor, const char* dbPath) {
    static net::LogLimit limit;
    if (uint64_t skipped = 0; limit.allow(&skipped)) {
        LM_ERR(
            "usrloc: write-through change for %.*s not confirmed by %s: %s; answered 500 (%llu "
            "more not logged)",
            static_cast<int>(aor.size()), aor.data(), dbPath,
            commitResultText(CommitResult::Failed), static_cast<unsigned long long>(skipped));
    }
}

}  // namespace

size_t sendReplies(std::string_view records, const CommitWait& commits, const char* dbPath) {
    Burst b;
    Change ch;
    while (ChangeRing::next(records, ch)) {
        if (ch.op != ChangeOp::Reply) continue;
        const net::ListenSocket* s = net::listenSocket(ch.reply.socket);
        if (s == nullptr) continue;
        const bool ok =
            commits.resolved() >= ch.reply.target && commits.failedThrough() < ch.reply.target;
        if (!ok) logNotConfirmed(ch.aor, dbPath);
        b.add(s->fd, ch.reply.address, ok ? ch.reply.ok : ch.reply.failed);
    }
    b.flush();
    return b.sent;
}

}  // namespace osprey::usrloc
