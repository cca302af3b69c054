// The input side of one TCP connection, without the socket: where the next read goes, and
// turning what was read into frames (core/sip/stream_framer.h) for the owner to route.
//
// Most reads hold whole messages, so they go into the worker's scratch buffer and nothing is
// kept per connection. Only the unfinished tail of a read (a message split across reads) is
// copied into a buffer of the connection's own (pkg), which later reads then fill directly
// until the message is complete; it grows up to the message size limit and is freed once
// empty.
//
//     ReadTarget t = in.target(scratch, scratchSize);
//     ssize_t n = read(fd, t.data, t.room);
//     InputStatus s = in.commit(n, sink);   // sink.onMessage(ptr, len) / sink.onPing()
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/sip/stream_framer.h"

namespace osprey::net {

struct ReadTarget {
    char* data;
    size_t room;
};

enum class InputStatus : uint8_t {
    Ok,
    Closed,     // the sink asked to stop (e.g. the connection is being closed)
    BadStream,  // framing error (error() says what): close the connection
    NoMemory,   // no pkg memory to keep a partial message: close the connection
};

class TcpInput {
public:
    explicit TcpInput(size_t maxMessage = sip::StreamFramer::kDefaultMaxMessage);
    ~TcpInput();
    TcpInput(const TcpInput&) = delete;
    TcpInput& operator=(const TcpInput&) = delete;

    // Back to empty (a new connection in this slot); frees the kept buffer.
    void reset(size_t maxMessage);

    // Where to read to: the kept buffer when a message is pending, else the scratch buffer.
    // room is 0 only when the kept buffer cannot grow (no memory): commit(0) then reports it.
    ReadTarget target(char* scratch, size_t scratchSize);

    // Frames the n octets just read into target(). Sink has bool onMessage(char*, size_t)
    // and bool onPing(); returning false stops with Closed.
    template <class Sink>
    InputStatus commit(size_t n, Sink& sink);

    const sip::ParseError& error() const { return error_; }
    size_t pending() const { return len_; }  // octets kept for the next read
    size_t held() const { return cap_; }     // pkg octets the kept buffer takes

private:
    bool keep(const char* data, size_t len);  // the unframed tail of a scratch read
    void compact(size_t consumed);            // drops framed octets from the kept buffer

    sip::StreamFramer framer_;
    char* scratch_ = nullptr;  // target() handed out the scratch buffer
    char* buf_ = nullptr;      // kept octets (pkg)
    size_t len_ = 0;
    size_t cap_ = 0;
    bool noMemory_ = false;
    sip::ParseError error_;
};

template <class Sink>
InputStatus TcpInput::commit(size_t n, Sink& sink) {
    if (noMemory_) return InputStatus::NoMemory;
    char* base;
    size_t len;
    if (scratch_ != nullptr) {
        base = scratch_;
        len = n;
    } else {
        len_ += n;
        base = buf_;
        len = len_;
    }
    size_t off = 0;
    InputStatus status = InputStatus::Ok;
    while (off < len) {
        const sip::Frame f = framer_.next(std::string_view(base + off, len - off));
        if (f.kind == sip::FrameKind::NeedMore) break;
        if (f.kind == sip::FrameKind::Error) {
            error_ = f.error;
            status = InputStatus::BadStream;
            break;
        }
        bool go = true;
        if (f.kind == sip::FrameKind::Message) go = sink.onMessage(base + off, f.length);
        if (f.kind == sip::FrameKind::Ping) go = sink.onPing();
        off += f.length;
        if (!go) {
            status = InputStatus::Closed;
            break;
        }
    }
    if (status != InputStatus::Ok) return status;
    if (scratch_ != nullptr) {
        scratch_ = nullptr;
        if (off < len && !keep(base + off, len - off)) return InputStatus::NoMemory;
        return InputStatus::Ok;
    }
    if (off > 0) compact(off);
    return InputStatus::Ok;
}

}  // namespace osprey::net
