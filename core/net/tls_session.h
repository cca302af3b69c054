// One TLS connection's OpenSSL state (SSL), owned by the TCP worker that owns the connection
// (tcp_owner.h) and living in its private memory only. The worker drives it without blocking:
// the handshake step by step as the socket becomes readable or writable, then records in and
// out of the connection's stream.
//
//     TlsSession* s = TlsSession::start(fd, /*server=*/true, nullptr, &why);
//     switch (s->handshake(&why)) { case TlsStep::Done: ... case TlsStep::WantRead: ... }
//     ssize_t n = s->read(buf, room, &step);           // decrypted octets
//     queue.flush(TlsSession::write, s, now, &err);    // the write queue through the session
#pragma once
#include <openssl/ssl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>

namespace osprey::net {

enum class TlsStep : uint8_t {
    Done,       // the handshake finished / octets were read
    WantRead,   // wait until the socket is readable
    WantWrite,  // wait until the socket is writable
    Closed,     // the peer closed the TLS session (close_notify or EOF)
    Failed,     // a protocol, certificate or socket error: close the connection
};

class TlsSession {
public:
    // A session on a connected socket; nullptr (with *why) when no context is available.
    // serverName: the SNI to send and the name the server's certificate must carry (client
    // side, may be null or empty for an address).
    static TlsSession* start(int fd, bool server, const char* serverName, std::string* why);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // One step of the handshake; *why says what failed (certificate checks included).
    TlsStep handshake(std::string* why);
    bool established() const { return established_; }
    // Decrypted octets (> 0), or -1 with *step.
    ssize_t read(char* buf, size_t room, TlsStep* step);
    // WriteQueue::Writer: encrypts and writes spans; octets taken, or -1 (errno EAGAIN when
    // the socket is full, EPIPE on failure).
    static ssize_t write(void* session, const iovec* iov, unsigned count);
    // The last write stopped because OpenSSL needs to read first (rare: TLS 1.2 alerts).
    bool writeWantsRead() const { return writeWantsRead_; }
    // A TLS 1.2 client tried to renegotiate (refused; the owner closes the connection).
    bool renegotiationSeen() const { return renegotiation_; }
    // Sends close_notify when the socket takes it (no waiting).
    void shutdown();

    // For SSL_CTX_set_verify: remembers why a peer certificate was refused (and whose), for
    // the log line.
    static int verifyCallback(int ok, X509_STORE_CTX* store);

    SSL* ssl() const { return ssl_; }
    bool server() const { return server_; }

private:
    TlsSession() = default;
    static void infoCallback(const SSL* ssl, int where, int ret);

    SSL* ssl_ = nullptr;
    bool server_ = true;
    bool established_ = false;
    bool renegotiation_ = false;
    bool writeWantsRead_ = false;
    int pendingWrite_ = 0;
    std::string rejected_;  // "certificate has expired (peer certificate /CN=...)"  // a write
                            // OpenSSL must be given again, same length (WANT_WRITE)
};

}  // namespace osprey::net
