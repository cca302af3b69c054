// Message boundaries in a stream transport's byte stream (TCP, TLS; RFC 3261 §18.3): a message
// ends Content-Length octets after the empty line, so Content-Length is required. Between
// messages, RFC 5626 §4.4.1 keep-alives: a double CRLF "ping" (answer it with a single CRLF
// "pong") and a single CRLF "pong".
//
// The framer does not own or copy data. The transport keeps the unconsumed bytes and calls
// next() with all of them after every read; the framer remembers how far it scanned (as an
// offset, so the buffer may move), so a message arriving in many pieces is scanned once:
//
//     for (;;) {
//         Frame f = framer.next(pending);
//         if (f.kind == FrameKind::NeedMore) break;            // read more
//         if (f.kind == FrameKind::Error) { closeConnection(f.error); break; }
//         if (f.kind == FrameKind::Ping) sendCrlf();
//         if (f.kind == FrameKind::Message) handle(pending.substr(0, f.length));
//         pending.remove_prefix(f.length);
//     }
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/sip/parse_error.h"

namespace osprey::sip {

enum class FrameKind : uint8_t {
    NeedMore,  // nothing complete at the front yet
    Message,   // one SIP message of `length` octets (headers and body)
    Ping,      // "\r\n\r\n": reply with "\r\n" (RFC 5626 §4.4.1)
    Pong,      // a single CRLF (or stray LF) between messages: consume and ignore
    Error,     // the stream cannot be framed (error says why); close the connection
};

struct Frame {
    FrameKind kind = FrameKind::NeedMore;
    size_t length = 0;  // octets to consume from the front
    ParseError error;   // for Error; offsets relative to the message start
};

class StreamFramer {
public:
    static constexpr size_t kDefaultMaxMessage = 65535;

    explicit StreamFramer(size_t maxMessage = kDefaultMaxMessage) : max_(maxMessage) {}

    // `data` = every octet received and not yet consumed, in order. After Message, Ping or
    // Pong the caller drops `length` octets before calling again; after Error every later
    // call returns the same error.
    Frame next(std::string_view data);

    // Forget any partial message (a new connection reusing the framer).
    void reset();

    size_t maxMessage() const { return max_; }

private:
    Frame fail(ParseErrc code, const char* detail, size_t offset);
    bool noteHeader(std::string_view d, size_t start, size_t end, Frame& err);

    size_t max_;
    bool inMessage_ = false;
    bool pastFirstLine_ = false;
    size_t pos_ = 0;       // start of the next line to look at
    size_t hdrStart_ = 0;  // start of the header whose continuation lines may follow
    bool hdrOpen_ = false;
    size_t headerEnd_ = 0;  // offset of the body once the empty line is found, else 0
    bool haveLength_ = false;
    uint32_t contentLength_ = 0;
    bool failed_ = false;
    ParseError error_;
};

}  // namespace osprey::sip
