// What a test's stream connection (SipTcpConn, SipTlsConn) has received: octets framed into SIP
// messages by the router's own framer (core/sip/stream_framer), keep-alives skipped. The
// connection brings the octets (a plain recv or SSL_read); every wait here is bounded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/sip/stream_framer.h"
#include "test/support/sip_client.h"

namespace osprey::testsupport {

// Milliseconds left until deadline (timer::nowMs() based), 0 when past.
int remainingMs(int64_t deadline);

class StreamInbox {
public:
    // One bounded read by the connection that append()s what came; false on timeout, and on
    // the end of the stream after calling setEof().
    using Fill = std::function<bool(int timeoutMs)>;

    void append(const char* p, size_t n) { in_.append(p, n); }
    void setEof() { eof_ = true; }
    bool eof() const { return eof_; }
    size_t size() const { return in_.size(); }
    // Every octet not framed yet; the framer starts over.
    std::string take();

    // The next complete message; nullptr on timeout, end of stream or a framing error.
    std::unique_ptr<ReceivedMsg> receiveMsg(const Fill& fill, int timeoutMs);
    // Receives until a message with this Call-ID arrives; nullptr on timeout.
    std::unique_ptr<ReceivedMsg> receiveCall(const Fill& fill, std::string_view callId,
                                             int timeoutMs);
    // Reads and discards until the end of the stream; false on timeout.
    bool waitEof(const Fill& fill, int timeoutMs);

private:
    std::string in_;
    sip::StreamFramer framer_{1 << 20};
    bool eof_ = false;
};

}  // namespace osprey::testsupport
