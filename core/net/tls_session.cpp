// TlsSession: the non-blocking handshake, reads and writes of one TLS connection.
#include "core/net/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

#include "core/net/tls_context.h"

namespace osprey::net {

namespace {

// One TLS record's worth: what a single SSL_write turns into one record.
constexpr size_t kRecord = 16 * 1024;
char g_writeBuf[kRecord];  // this process's (the owner's) coalescing buffer

std::string failure(SSL* ssl, int ret, int err, const std::string& rejected) {
    const long vr = SSL_get_verify_result(ssl);
    std::string why;
    if (!rejected.empty()) {
        ERR_clear_error();
        return "certificate rejected: " + rejected;
    }
    if (vr != X509_V_OK) {
        why = std::string("certificate rejected: ") + X509_verify_cert_error_string(vr);
        if (X509* peer = SSL_get1_peer_certificate(ssl)) {
            char subject[256];
            X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof subject);
            why += std::string(" (peer certificate ") + subject + ")";
            X509_free(peer);
        }
        ERR_clear_error();
        return why;
    }
    if (err == SSL_ERROR_SYSCALL) {
        ERR_clear_error();
        if (ret == 0 || errno == 0) return "the peer closed the connection during the handshake";
        return std::string("socket error during the handshake: ") + strerror(errno);
    }
    return "handshake failed: " + tlsErrors();
}

}  // namespace

int TlsSession::verifyCallback(int ok, X509_STORE_CTX* store) {
    if (ok == 1) return 1;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* self = ssl != nullptr ? static_cast<TlsSession*>(SSL_get_app_data(ssl)) : nullptr;
    if (self != nullptr && self->rejected_.empty()) {
        self->rejected_ = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
        if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
            char subject[256];
            X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
            self->rejected_ += std::string(" (peer certificate ") + subject + ")";
        }
    }
    return 0;
}

void TlsSession::infoCallback(const SSL* ssl, int where, int) {
    auto* self = static_cast<TlsSession*>(SSL_get_app_data(ssl));
    if (self == nullptr || (where & SSL_CB_HANDSHAKE_START) == 0 || !self->established_) return;
    // TLS 1.3 has no renegotiation; its post-handshake messages also start "handshakes".
    if (SSL_version(ssl) < TLS1_3_VERSION) self->renegotiation_ = true;
}

TlsSession* TlsSession::start(int fd, bool server, const char* serverName, std::string* why) {
    TlsContexts* ctxs = tlsContexts();
    SSL_CTX* ctx = ctxs == nullptr ? nullptr
                   : server        ? ctxs->server()
                                   : ctxs->clientFor(serverName ? serverName : "");
    if (ctx == nullptr) {
        *why = server ? "no TLS server certificate loaded" : "no TLS client context";
        return nullptr;
    }
    SSL* ssl = SSL_new(ctx);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        *why = "cannot create a TLS session: " + tlsErrors();
        SSL_free(ssl);
        return nullptr;
    }
    auto* s = new (std::nothrow) TlsSession;
    if (s == nullptr) {
        SSL_free(ssl);
        *why = "out of memory";
        return nullptr;
    }
    s->ssl_ = ssl;
    s->server_ = server;
    SSL_set_app_data(ssl, s);
    SSL_set_info_callback(ssl, infoCallback);
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (serverName != nullptr && serverName[0] != '\0') {
            SSL_set_tlsext_host_name(ssl, serverName);
            // The certificate must name the host we meant (RFC 5922 §7.1), when we verify.
            SSL_set1_host(ssl, serverName);
        }
    }
    return s;
}

TlsSession::~TlsSession() {
    SSL_free(ssl_);
}

TlsStep TlsSession::handshake(std::string* why) {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) {
        established_ = true;
        return TlsStep::Done;
    }
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) return TlsStep::WantRead;
    if (err == SSL_ERROR_WANT_WRITE) return TlsStep::WantWrite;
    *why = failure(ssl_, r, err, rejected_);
    return TlsStep::Failed;
}

ssize_t TlsSession::read(char* buf, size_t room, TlsStep* step) {
    ERR_clear_error();
    const int r = SSL_read(ssl_, buf, static_cast<int>(room > INT32_MAX ? INT32_MAX : room));
    if (r > 0) {
        *step = renegotiation_ ? TlsStep::Failed : TlsStep::Done;
        return r;
    }
    const int err = SSL_get_error(ssl_, r);
    switch (err) {
        case SSL_ERROR_WANT_READ:
            *step = renegotiation_ ? TlsStep::Failed : TlsStep::WantRead;
            break;
        case SSL_ERROR_WANT_WRITE:
            *step = TlsStep::WantWrite;
            break;
        case SSL_ERROR_ZERO_RETURN:
            *step = TlsStep::Closed;
            break;
        case SSL_ERROR_SYSCALL:
            *step = (r == 0 || errno == 0) ? TlsStep::Closed : TlsStep::Failed;
            ERR_clear_error();
            break;
        default:
            *step = TlsStep::Failed;
            ERR_clear_error();
            break;
    }
    return -1;
}

ssize_t TlsSession::write(void* session, const iovec* iov, unsigned count) {
    auto* s = static_cast<TlsSession*>(session);
    s->writeWantsRead_ = false;
    size_t total = 0;
    unsigned i = 0;
    size_t off = 0;  // into iov[i]
    for (;;) {
        while (i < count && off == iov[i].iov_len) {
            ++i;
            off = 0;
        }
        if (i == count) break;
        // OpenSSL must see a write it asked to repeat with the same length (the content is
        // the same: the queue keeps unwritten octets in place).
        size_t want = s->pendingWrite_ != 0 ? static_cast<size_t>(s->pendingWrite_) : kRecord;
        const char* data;
        size_t len;
        if (iov[i].iov_len - off >= want || (s->pendingWrite_ == 0 && i + 1 == count)) {
            data = static_cast<const char*>(iov[i].iov_base) + off;  // no copy needed
            len = std::min(want, iov[i].iov_len - off);
        } else {
            len = 0;
            unsigned k = i;
            size_t ko = off;
            while (len < want && k < count) {
                const size_t n = std::min(want - len, iov[k].iov_len - ko);
                std::memcpy(g_writeBuf + len, static_cast<const char*>(iov[k].iov_base) + ko, n);
                len += n;
                ko += n;
                if (ko == iov[k].iov_len) {
                    ++k;
                    ko = 0;
                }
            }
            data = g_writeBuf;
        }
        if (s->pendingWrite_ != 0 && len != want) {
            errno = EPIPE;  // the octets OpenSSL holds are gone: cannot happen with our queue
            return total != 0 ? static_cast<ssize_t>(total) : -1;
        }
        ERR_clear_error();
        const int r = SSL_write(s->ssl_, data, static_cast<int>(len));
        if (r <= 0) {
            const int err = SSL_get_error(s->ssl_, r);
            if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
                s->pendingWrite_ = static_cast<int>(len);
                s->writeWantsRead_ = err == SSL_ERROR_WANT_READ;
                if (total != 0) return static_cast<ssize_t>(total);
                errno = EAGAIN;
                return -1;
            }
            ERR_clear_error();
            errno = EPIPE;
            return total != 0 ? static_cast<ssize_t>(total) : -1;
        }
        s->pendingWrite_ = 0;
        total += static_cast<size_t>(r);
        // Advance by r octets.
        size_t left = static_cast<size_t>(r);
        while (left > 0) {
            const size_t n = std::min(left, iov[i].iov_len - off);
            off += n;
            left -= n;
            if (off == iov[i].iov_len && left > 0) {
                ++i;
                off = 0;
            }
        }
    }
    return static_cast<ssize_t>(total);
}

void TlsSession::shutdown() {
    if (!established_) return;
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
}

}  // namespace osprey::net
