// SipTlsConn, SipTlsListener: OpenSSL over non-blocking sockets, every wait a bounded poll.
#include "test/support/sip_tls_peer.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/timer/clock.h"
#include "test/support/loopback_socket.h"

namespace osprey::testsupport {

namespace {

std::string sslErrors() {
    std::string out;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out += (out.empty() ? "" : "; ") + std::string(buf);
    }
    return out;
}

// Waits for what OpenSSL asked for; false on timeout.
bool waitFor(int fd, int sslError, int timeoutMs) {
    pollfd p{fd, static_cast<short>(sslError == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
    return poll(&p, 1, timeoutMs) == 1;
}

}  // namespace

SipTlsConn::SipTlsConn(uint16_t port, const TlsClientOptions& o, int family, int timeoutMs)
    : family_(family) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    fd_ = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error_ = "socket failed";
        return;
    }
    int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (!o.bindIp.empty()) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        inet_pton(AF_INET, o.bindIp.c_str(), &a.sin_addr);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            error_ = "cannot bind " + o.bindIp;
            return;
        }
    }
    if (const int err = connectLoopback(fd_, family, port, remainingMs(deadline)); err != 0) {
        error_ = std::string("connect: ") + strerror(err);
        return;
    }
    localPort_ = localPortOf(fd_);
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (o.maxVersion != 0) SSL_CTX_set_max_proto_version(ctx_, o.maxVersion);
    if (!o.caFile.empty()) {
        SSL_CTX_load_verify_locations(ctx_, o.caFile.c_str(), nullptr);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    if (!o.cert.empty() &&
        (SSL_CTX_use_certificate_chain_file(ctx_, o.cert.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx_, o.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
        error_ = "cannot load the client certificate: " + sslErrors();
        return;
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (!o.sni.empty()) {
        SSL_set_tlsext_host_name(ssl_, o.sni.c_str());
        if (!o.caFile.empty()) SSL_set1_host(ssl_, o.sni.c_str());
    }
    if (o.resume != nullptr) SSL_set_session(ssl_, o.resume);
    SSL_set_connect_state(ssl_);
    handshake(remainingMs(deadline));
}

std::unique_ptr<SipTlsConn> SipTlsConn::accept(int fd, SSL_CTX* ctx, int timeoutMs) {
    std::unique_ptr<SipTlsConn> c(new SipTlsConn());
    c->fd_ = fd;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    c->family_ = ss.ss_family;
    c->localPort_ = localPortOf(fd);
    c->ssl_ = SSL_new(ctx);
    SSL_set_fd(c->ssl_, fd);
    SSL_set_accept_state(c->ssl_);
    c->handshake(timeoutMs);
    return c;
}

bool SipTlsConn::handshake(int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    for (;;) {
        ERR_clear_error();
        const int r = SSL_do_handshake(ssl_);
        if (r == 1) {
            established_ = true;
            return true;
        }
        const int err = SSL_get_error(ssl_, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            const long vr = SSL_get_verify_result(ssl_);
            error_ = "handshake failed: " + sslErrors();
            if (vr != X509_V_OK)
                error_ += std::string(" (") + X509_verify_cert_error_string(vr) + ")";
            return false;
        }
        if (!waitFor(fd_, err, remainingMs(deadline))) {
            error_ = "handshake timed out";
            return false;
        }
    }
}

SipTlsConn::~SipTlsConn() {
    close();
    SSL_CTX_free(ctx_);
}

void SipTlsConn::close() {
    if (ssl_ != nullptr) {
        if (established_ && !inbox_.eof()) SSL_shutdown(ssl_);
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool SipTlsConn::renegotiate(int timeoutMs) {
    if (!ok() || SSL_renegotiate(ssl_) != 1) return false;
    const int64_t deadline = timer::nowMs() + timeoutMs;
    for (;;) {
        ERR_clear_error();
        const int r = SSL_do_handshake(ssl_);
        if (r == 1 && SSL_renegotiate_pending(ssl_) == 0) return true;
        const int err = SSL_get_error(ssl_, r);
        if (r != 1 && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return false;
        // The answer to our ClientHello comes with the next read.
        char buf[512];
        const int n = SSL_read(ssl_, buf, sizeof buf);
        if (n <= 0) {
            const int e = SSL_get_error(ssl_, n);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                inbox_.setEof();
                return false;
            }
            if (!waitFor(fd_, e, remainingMs(deadline))) return false;
        }
    }
}

std::string SipTlsConn::peerCn() const {
    if (ssl_ == nullptr) return "";
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (peer == nullptr) return "";
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    X509_free(peer);
    return cn;
}

bool SipTlsConn::resumed() const {
    return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

SSL_SESSION* SipTlsConn::session() const {
    return ssl_ != nullptr ? SSL_get_session(ssl_) : nullptr;
}

std::string SipTlsConn::version() const {
    return ssl_ != nullptr ? SSL_get_version(ssl_) : "";
}

std::string SipTlsConn::localHostPort() const {
    return (family_ == AF_INET6 ? "[::1]:" : "127.0.0.1:") + std::to_string(localPort_);
}

bool SipTlsConn::send(std::string_view text, int timeoutMs) {
    if (!ok()) return false;
    const int64_t deadline = timer::nowMs() + timeoutMs;
    while (!text.empty()) {
        ERR_clear_error();
        const int n = SSL_write(ssl_, text.data(), static_cast<int>(text.size()));
        if (n > 0) {
            text.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        const int err = SSL_get_error(ssl_, n);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return false;
        if (!waitFor(fd_, err, remainingMs(deadline))) return false;
    }
    return true;
}

bool SipTlsConn::fill(int timeoutMs) {
    if (ssl_ == nullptr || inbox_.eof()) return false;
    const int64_t deadline = timer::nowMs() + timeoutMs;
    for (;;) {
        char buf[16384];
        ERR_clear_error();
        const int n = SSL_read(ssl_, buf, sizeof buf);
        if (n > 0) {
            inbox_.append(buf, static_cast<size_t>(n));
            return true;
        }
        const int err = SSL_get_error(ssl_, n);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            inbox_.setEof();
            return false;
        }
        if (!waitFor(fd_, err, remainingMs(deadline))) return false;
    }
}

std::unique_ptr<ReceivedMsg> SipTlsConn::receiveMsg(int timeoutMs) {
    return inbox_.receiveMsg(fill_, timeoutMs);
}

std::unique_ptr<ReceivedMsg> SipTlsConn::receiveCall(std::string_view callId, int timeoutMs) {
    return inbox_.receiveCall(fill_, callId, timeoutMs);
}

bool SipTlsConn::waitClosed(int timeoutMs) {
    if (ssl_ == nullptr) return true;  // closed here: nothing more can come
    return inbox_.waitEof(fill_, timeoutMs);
}

namespace {
int listenerSni(SSL* ssl, int*, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    *static_cast<std::string*>(arg) = name != nullptr ? name : "";
    return SSL_TLSEXT_ERR_OK;
}
}  // namespace

SipTlsListener::SipTlsListener(const std::string& cert, const std::string& key,
                               const std::string& caFile, int family) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx_);
        ctx_ = nullptr;
        return;
    }
    if (!caFile.empty()) {
        SSL_CTX_load_verify_locations(ctx_, caFile.c_str(), nullptr);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    SSL_CTX_set_tlsext_servername_callback(ctx_, listenerSni);
    SSL_CTX_set_tlsext_servername_arg(ctx_, &lastSni_);
    fd_ = listenLoopback(family, 0);
    if (fd_ >= 0) port_ = localPortOf(fd_);
}

SipTlsListener::~SipTlsListener() {
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
}

std::unique_ptr<SipTlsConn> SipTlsListener::accept(int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) != 1) return nullptr;
    const int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return nullptr;
    lastSni_.clear();
    return SipTlsConn::accept(fd, ctx_, timeoutMs);
}

std::string buildTlsRequest(const SipTlsConn& from, SipRequest& r) {
    if (r.via.empty()) {
        r.via =
            "SIP/2.0/TLS " + from.localHostPort() + ";branch=" + uniqueToken("z9hG4bK") + ";rport";
    }
    static SipPeer unused;
    return buildRequest(unused, r);
}

}  // namespace osprey::testsupport
