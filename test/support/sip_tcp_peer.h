// TCP peers for integration tests against a running osprey: a connection that sends text
// and receives SIP messages framed by the router's own stream framer (core/sip/stream_framer),
// raw octets (keep-alive pongs) or the peer's close; and a listening UAS that accepts the
// connections osprey opens. Every wait is bounded (poll).
//
//   SipTcpConn c(router.tcpPort());
//   SipRequest r;  r.ruri = "sip:bob@127.0.0.1";
//   c.send(buildTcpRequest(c, r));
//   auto resp = c.receiveMsg(2000);           // nullptr on timeout or close
//   EXPECT_TRUE(c.waitClosed(3000));          // the router closed the connection
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "test/support/sip_client.h"
#include "test/support/stream_inbox.h"

namespace osprey::testsupport {

class SipTcpConn {
public:
    // Connects (blocking, bounded) to 127.0.0.1:port or [::1]:port.
    explicit SipTcpConn(uint16_t port, int family = AF_INET, int timeoutMs = 3000);
    // Takes an accepted socket.
    static std::unique_ptr<SipTcpConn> adopt(int fd);
    ~SipTcpConn();
    SipTcpConn(const SipTcpConn&) = delete;
    SipTcpConn& operator=(const SipTcpConn&) = delete;

    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    uint16_t localPort() const { return localPort_; }
    std::string localHostPort() const;  // "127.0.0.1:40123" / "[::1]:40123"

    // Writes all of text (waiting for room up to timeoutMs).
    bool send(std::string_view text, int timeoutMs = 3000);
    // The next complete message; nullptr on timeout, close or a framing error.
    std::unique_ptr<ReceivedMsg> receiveMsg(int timeoutMs = 2000);
    // Receives until a message with this Call-ID arrives; nullptr on timeout.
    std::unique_ptr<ReceivedMsg> receiveCall(std::string_view callId, int timeoutMs = 2000);
    // Octets received and not yet framed, after waiting up to timeoutMs for at least `min`.
    std::string receiveRaw(size_t min, int timeoutMs = 2000);
    // True once the peer closed (EOF or reset) within timeoutMs; pending data is discarded.
    bool waitClosed(int timeoutMs);
    bool closedByPeer() const { return inbox_.eof(); }
    void close();

private:
    SipTcpConn() = default;
    bool fill(int timeoutMs);  // one read; false on timeout or EOF
    const StreamInbox::Fill fill_ = [this](int timeoutMs) { return fill(timeoutMs); };

    int fd_ = -1;
    int family_ = AF_INET;
    uint16_t localPort_ = 0;
    StreamInbox inbox_;
};

// A listening TCP socket on 127.0.0.1 (or [::1]), port 0 unless given, to play the UAS osprey
// connects to.
class SipTcpListener {
public:
    explicit SipTcpListener(int family = AF_INET, uint16_t port = 0);
    ~SipTcpListener();
    bool ok() const { return fd_ >= 0; }
    uint16_t port() const { return port_; }
    // The next connection; nullptr on timeout.
    std::unique_ptr<SipTcpConn> accept(int timeoutMs = 3000);

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

// buildRequest for a TCP connection: the default Via is "SIP/2.0/TCP <local>;branch=...;rport".
std::string buildTcpRequest(const SipTcpConn& from, SipRequest& r);

// Raises this process's open files limit to at least n (up to the hard limit); returns the
// soft limit now in force.
uint64_t raiseOpenFiles(uint64_t n);

}  // namespace osprey::testsupport
