// TLS peers for integration tests against a running osprey: a client connection that does a
// TLS handshake (optionally with a client certificate, SNI, a CA to verify the server, a
// session to resume) and then sends text and receives SIP messages like SipTcpConn; and a
// listening TLS UAS that accepts the connections osprey opens. Every wait is bounded (poll).
//
//   SipTlsConn c(router.tlsPort(), TlsClientOptions().ca(pki.caFile()).serverName("localhost"));
//   ASSERT_TRUE(c.ok()) << c.error();
//   c.send(buildTlsRequest(c, r));
//   auto resp = c.receiveMsg(2000);
#pragma once
#include <netinet/in.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "test/support/sip_client.h"
#include "test/support/stream_inbox.h"

namespace osprey::testsupport {

struct TlsClientOptions {
    TlsClientOptions& ca(std::string f) {
        caFile = std::move(f);
        return *this;
    }
    TlsClientOptions& clientCert(std::string c, std::string k) {
        cert = std::move(c);
        key = std::move(k);
        return *this;
    }
    TlsClientOptions& serverName(std::string n) {
        sni = std::move(n);
        return *this;
    }
    TlsClientOptions& tls12() {
        maxVersion = TLS1_2_VERSION;
        return *this;
    }
    TlsClientOptions& resuming(SSL_SESSION* s) {
        resume = s;
        return *this;
    }
    TlsClientOptions& from(std::string ip) {
        bindIp = std::move(ip);
        return *this;
    }

    std::string caFile;  // verify the server's certificate against it ("" = no check)
    std::string cert;    // client certificate and key ("" = none)
    std::string key;
    std::string sni;                // server name sent (and checked with caFile); "" = none
    int maxVersion = 0;             // TLS1_2_VERSION to stay on TLS 1.2; 0 = newest
    SSL_SESSION* resume = nullptr;  // a session of an earlier connection (not taken)
    std::string bindIp;             // source address ("127.0.0.2"); "" = the kernel's choice
};

class SipTlsConn {
public:
    // Connects to 127.0.0.1:port or [::1]:port and completes the handshake (bounded).
    SipTlsConn(uint16_t port, const TlsClientOptions& opts = {}, int family = AF_INET,
               int timeoutMs = 3000);
    ~SipTlsConn();
    SipTlsConn(const SipTlsConn&) = delete;
    SipTlsConn& operator=(const SipTlsConn&) = delete;

    bool ok() const { return ssl_ != nullptr && established_; }
    const std::string& error() const { return error_; }  // why the connect or handshake failed
    std::string peerCn() const;  // CN of the peer's certificate ("" when none)
    bool resumed() const;
    SSL_SESSION* session() const;  // the session (owned by the connection), for resume
    std::string version() const;   // "TLSv1.3"
    uint16_t localPort() const { return localPort_; }
    std::string localHostPort() const;

    bool send(std::string_view text, int timeoutMs = 3000);
    std::unique_ptr<ReceivedMsg> receiveMsg(int timeoutMs = 2000);
    std::unique_ptr<ReceivedMsg> receiveCall(std::string_view callId, int timeoutMs = 2000);
    // True once the peer closed (close_notify, EOF or reset) within timeoutMs.
    bool waitClosed(int timeoutMs);
    void close();
    // TLS 1.2: asks the server for a renegotiation and tries to complete it; true when a new
    // handshake completed within timeoutMs.
    bool renegotiate(int timeoutMs);

    // Server side: an accepted socket, handshake done with ctx (bounded).
    static std::unique_ptr<SipTlsConn> accept(int fd, SSL_CTX* ctx, int timeoutMs);

private:
    SipTlsConn() = default;
    bool handshake(int timeoutMs);
    bool fill(int timeoutMs);  // one read; false on timeout or EOF
    const StreamInbox::Fill fill_ = [this](int timeoutMs) { return fill(timeoutMs); };

    int fd_ = -1;
    int family_ = AF_INET;
    uint16_t localPort_ = 0;
    SSL_CTX* ctx_ = nullptr;  // owned (client side)
    SSL* ssl_ = nullptr;
    bool established_ = false;
    std::string error_;
    StreamInbox inbox_;
};

// A TLS UAS on 127.0.0.1 (or [::1]): the connections osprey opens to it complete a handshake
// with this certificate; with caFile set a client certificate is required and verified.
class SipTlsListener {
public:
    SipTlsListener(const std::string& cert, const std::string& key, const std::string& caFile = "",
                   int family = AF_INET);
    ~SipTlsListener();
    bool ok() const { return fd_ >= 0 && ctx_ != nullptr; }
    uint16_t port() const { return port_; }
    std::unique_ptr<SipTlsConn> accept(int timeoutMs = 3000);
    // The SNI the last accepted client sent ("" when none).
    const std::string& lastSni() const { return lastSni_; }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
    SSL_CTX* ctx_ = nullptr;
    std::string lastSni_;
};

// buildRequest for a TLS connection: the default Via is "SIP/2.0/TLS <local>;branch=...;rport".
std::string buildTlsRequest(const SipTlsConn& from, SipRequest& r);

}  // namespace osprey::testsupport
