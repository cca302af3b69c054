// osprey-tls-load: the TLS handshake load of `make bench-tls` (scripts/bench/tls.sh),
// standalone (OpenSSL only, nothing of Osprey), so it measures any TLS server the same way.
//
//   osprey-tls-load handshakes PORT SECONDS [--inflight N] [--procs P] [--resume] [--tls12]
//                   [--count C]
//       connect, handshake, close, as fast as the server allows, N handshakes in flight per
//       process, for SECONDS or until C handshakes were tried; prints
//       "handshakes N seconds S rate R/s failed F resumed K"
//   osprey-tls-load options PORT COUNT  /  options-tcp PORT COUNT
//       COUNT OPTIONS over one TLS (or plain TCP) connection, 64 in flight; prints the rate
//   osprey-tls-load hold PORT COUNT
//       opens COUNT TLS connections (64 handshakes in flight), prints "held COUNT" once all
//       are up, and keeps them until stdin closes or SIGTERM
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Options {
    uint16_t port = 0;
    double seconds = 5;
    unsigned inflight = 16;
    unsigned procs = 1;
    bool resume = false;
    bool tls12 = false;
    unsigned count = 0;
    unsigned long stopAfter = 0;  // handshakes: stop after this many (all processes), 0 = time
};

struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    bool connected = false;
};

SSL_SESSION* g_ticket = nullptr;  // the first resumable session the server gave us

// TLS 1.3 tickets come after the handshake; OpenSSL hands them to this callback.
int onNewSession(SSL*, SSL_SESSION* s) {
    if (g_ticket != nullptr) return 0;
    g_ticket = s;
    return 1;  // we keep the reference
}

SSL_CTX* clientCtx(const Options& o) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    if (o.tls12) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, onNewSession);
    return ctx;
}

int startConnect(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

// A session to resume: one blocking handshake, then reads until the server's ticket came.
SSL_SESSION* firstSession(SSL_CTX* ctx, uint16_t port) {
    const int fd = startConnect(port);
    if (fd < 0) return nullptr;
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_connect_state(ssl);
    SSL_SESSION* s = nullptr;
    const double deadline = now() + 3;
    while (now() < deadline) {
        int r = SSL_do_handshake(ssl);
        if (r == 1) {
            char b[64];
            r = SSL_read(ssl, b, sizeof b);  // picks up the TLS 1.3 ticket
            if (g_ticket != nullptr) {
                s = g_ticket;
                break;
            }
        }
        const int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) break;
        pollfd p{fd, static_cast<short>(e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
        poll(&p, 1, 100);
    }
    // Marked as shut down: OpenSSL makes a session that ends without it unresumable.
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl);
    close(fd);
    return s;
}

void closeConn(int ep, Conn& c) {
    if (c.fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
    }
    // As if shut down, so the shared session stays resumable (no close_notify is sent: the
    // socket is closed already).
    if (c.ssl != nullptr) SSL_set_shutdown(c.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c.ssl);
    c = Conn{};
}

bool open(int ep, Conn& c, unsigned idx, SSL_CTX* ctx, SSL_SESSION* session, uint16_t port) {
    c.fd = startConnect(port);
    if (c.fd < 0) return false;
    c.ssl = SSL_new(ctx);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_connect_state(c.ssl);
    if (session != nullptr) {
        // A copy each time: an OpenSSL client makes a TLS 1.3 session it resumed unusable again
        // (tickets are single-use by the book); the server accepts the same ticket again.
        SSL_SESSION* copy = SSL_SESSION_dup(session);
        SSL_set_session(c.ssl, copy);
        SSL_SESSION_free(copy);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = idx;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
}

// Steps a handshake: 1 done, 0 waiting, -1 failed.
int step(int ep, Conn& c, unsigned idx) {
    ERR_clear_error();
    const int r = SSL_do_handshake(c.ssl);
    if (r == 1) return 1;
    const int e = SSL_get_error(c.ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return -1;
    epoll_event ev{};
    ev.events = e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN;
    ev.data.u32 = idx;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    return 0;
}

// One process's share of the handshake load; returns done and failed through the pipe.
void handshakeLoad(const Options& o, int out) {
    SSL_CTX* ctx = clientCtx(o);
    SSL_SESSION* session = o.resume ? firstSession(ctx, o.port) : nullptr;
    if (o.resume && session == nullptr) fprintf(stderr, "no session to resume\n");
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<Conn> conns(o.inflight);
    unsigned long done = 0, failed = 0, resumed = 0;
    for (unsigned i = 0; i < o.inflight; ++i) open(ep, conns[i], i, ctx, session, o.port);
    const double end = now() + o.seconds;
    epoll_event evs[64];
    const unsigned long mine = o.stopAfter / o.procs;
    while (now() < end && (mine == 0 || done + failed < mine)) {
        const int n = epoll_wait(ep, evs, 64, 100);
        for (int k = 0; k < n; ++k) {
            const unsigned i = evs[k].data.u32;
            Conn& c = conns[i];
            if (c.ssl == nullptr) continue;
            const int r = step(ep, c, i);
            if (r == 0) continue;
            if (r == 1) {
                ++done;
                resumed += SSL_session_reused(c.ssl) == 1;
            } else {
                ++failed;
            }
            closeConn(ep, c);
            if (!open(ep, c, i, ctx, session, o.port)) ++failed;
        }
    }
    unsigned long msg[3] = {done, failed, resumed};
    if (write(out, msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) _exit(1);
}

int handshakes(const Options& o) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    const double start = now();
    for (unsigned p = 0; p < o.procs; ++p) {
        if (fork() == 0) {
            close(fds[0]);
            handshakeLoad(o, fds[1]);
            _exit(0);
        }
    }
    close(fds[1]);
    unsigned long done = 0, failed = 0, resumed = 0;
    unsigned long msg[3];
    while (read(fds[0], msg, sizeof msg) == static_cast<ssize_t>(sizeof msg)) {
        done += msg[0];
        failed += msg[1];
        resumed += msg[2];
    }
    while (wait(nullptr) > 0) {
    }
    const double secs = now() - start;
    printf("handshakes %lu seconds %.2f rate %.0f/s failed %lu resumed %lu\n", done, secs,
           static_cast<double>(done) / secs, failed, resumed);
    return 0;
}

volatile sig_atomic_t g_stop = 0;
void onSignal(int) {
    g_stop = 1;
}

int hold(const Options& o) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGTERM, onSignal);
    SSL_CTX* ctx = clientCtx(o);
    // No resumption: every connection a full handshake, as phones connecting after a restart.
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<Conn> conns(o.count);
    unsigned next = 0, up = 0, pending = 0, failed = 0;
    epoll_event evs[64];
    const double deadline = now() + 120;
    while (up < o.count && now() < deadline && failed < o.count) {
        while (pending < 64 && next < o.count) {
            if (open(ep, conns[next], next, ctx, nullptr, o.port))
                ++pending;
            else
                ++failed;
            ++next;
        }
        const int n = epoll_wait(ep, evs, 64, 100);
        for (int k = 0; k < n; ++k) {
            const unsigned i = evs[k].data.u32;
            Conn& c = conns[i];
            if (c.ssl == nullptr || c.connected) continue;
            const int r = step(ep, c, i);
            if (r == 0) continue;
            --pending;
            if (r == 1) {
                c.connected = true;
                ++up;
                epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
            } else {
                ++failed;
                closeConn(ep, c);
            }
        }
    }
    printf("held %u failed %u\n", up, failed);
    fflush(stdout);
    char b;
    while (!g_stop && read(0, &b, 1) > 0) {
    }
    return up == o.count ? 0 : 1;
}

// Stateful OPTIONS over one established connection, TLS or plain TCP, `window` requests in
// flight: the per-message cost of the TLS records against TCP (server CPU is measured by the
// caller). Counts the "SIP/2.0 200 " status lines that come back.
int options(const Options& o, unsigned total, bool plain, unsigned window) {
    const int fd = startConnect(o.port);
    if (fd < 0) return 1;
    pollfd pc{fd, POLLOUT, 0};
    poll(&pc, 1, 3000);
    SSL_CTX* ctx = plain ? nullptr : clientCtx(o);
    SSL* ssl = nullptr;
    if (!plain) {
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        SSL_set_connect_state(ssl);
        const double deadline = now() + 5;
        int r;
        while ((r = SSL_do_handshake(ssl)) != 1 && now() < deadline) {
            const int e = SSL_get_error(ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return 1;
            pollfd p{fd, static_cast<short>(e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
            poll(&p, 1, 100);
        }
        if (r != 1) return 1;
    }
    const auto sendAll = [&](const std::string& m) {
        size_t off = 0;
        while (off < m.size()) {
            const int n =
                plain ? static_cast<int>(::send(fd, m.data() + off, m.size() - off, MSG_NOSIGNAL))
                      : SSL_write(ssl, m.data() + off, static_cast<int>(m.size() - off));
            if (n > 0) {
                off += static_cast<size_t>(n);
                continue;
            }
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, 100);
        }
    };
    unsigned sent = 0, ok = 0;
    std::string in;
    const char* proto = plain ? "TCP" : "TLS";
    const double start = now(), deadline = start + 120;
    while (ok < total && now() < deadline) {
        while (sent < total && sent - ok < window) {
            char msg[512];
            const int n = snprintf(msg, sizeof msg,
                                   "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/%s "
                                   "127.0.0.1:5999;branch=z9hG4bK-%d-%u;rport\r\nFrom: "
                                   "<sip:a@127.0.0.1>;tag=%u\r\nTo: <sip:bob@127.0.0.1>\r\n"
                                   "Call-ID: opt-%u-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: "
                                   "70\r\nContent-Length: 0\r\n\r\n",
                                   proto, getpid(), sent, sent, sent, getpid());
            sendAll(std::string(msg, static_cast<size_t>(n)));
            ++sent;
        }
        char buf[16384];
        const int n = plain ? static_cast<int>(recv(fd, buf, sizeof buf, MSG_DONTWAIT))
                            : SSL_read(ssl, buf, sizeof buf);
        if (n > 0) {
            in.append(buf, static_cast<size_t>(n));
            size_t at;
            while ((at = in.find("SIP/2.0 200 ")) != std::string::npos) {
                ++ok;
                in.erase(0, at + 12);
            }
            continue;
        }
        pollfd p{fd, POLLIN, 0};
        poll(&p, 1, 100);
    }
    const double secs = now() - start;
    printf("options %u answered %u seconds %.2f rate %.0f/s over %s\n", total, ok, secs,
           static_cast<double>(ok) / secs, proto);
    return ok == total ? 0 : 1;
}

int usage() {
    fprintf(stderr,
            "usage: osprey-tls-load handshakes PORT SECONDS [--inflight N] [--procs P] "
            "[--resume] [--tls12] [--count C]\n       osprey-tls-load hold PORT COUNT\n"
            "       osprey-tls-load options|options-tcp PORT COUNT\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) return usage();
    signal(SIGPIPE, SIG_IGN);
    Options o;
    const std::string mode = argv[1];
    o.port = static_cast<uint16_t>(atoi(argv[2]));
    if (mode == "hold") {
        o.count = static_cast<unsigned>(atoi(argv[3]));
        return hold(o);
    }
    if (mode == "options" || mode == "options-tcp") {
        const unsigned total = static_cast<unsigned>(atoi(argv[3]));
        return options(o, total, mode == "options-tcp", 64);
    }
    if (mode != "handshakes") return usage();
    o.seconds = atof(argv[3]);
    for (int i = 4; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--inflight" && i + 1 < argc) {
            o.inflight = static_cast<unsigned>(atoi(argv[++i]));
        } else if (a == "--procs" && i + 1 < argc) {
            o.procs = static_cast<unsigned>(atoi(argv[++i]));
        } else if (a == "--count" && i + 1 < argc) {
            o.stopAfter = strtoul(argv[++i], nullptr, 10);
        } else if (a == "--resume") {
            o.resume = true;
        } else if (a == "--tls12") {
            o.tls12 = true;
        } else {
            return usage();
        }
    }
    return handshakes(o);
}
