// Stream framing: header section line by line (resumable), Content-Length picked out of it
// (full and compact name, folding allowed), then the body length.
#include "core/sip/stream_framer.h"

#include <cstring>

#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

void StreamFramer::reset() {
    inMessage_ = false;
    pastFirstLine_ = false;
    pos_ = 0;
    hdrStart_ = 0;
    hdrOpen_ = false;
    headerEnd_ = 0;
    haveLength_ = false;
    contentLength_ = 0;
    failed_ = false;
    error_ = ParseError{};
}

Frame StreamFramer::fail(ParseErrc code, const char* detail, size_t offset) {
    failed_ = true;
    error_ = ParseError{};
    error_.code = code;
    error_.detail = detail;
    error_.offset = static_cast<uint32_t>(offset);
    if (code == ParseErrc::BadNumber || code == ParseErrc::NumberTooLarge ||
        code == ParseErrc::DuplicateHeader || code == ParseErrc::MissingContentLength) {
        error_.kind = HeaderKind::ContentLength;
    }
    Frame f;
    f.kind = FrameKind::Error;
    f.error = error_;
    return f;
}

// Looks at one complete header [start, end) (continuation lines included); records
// Content-Length. Returns false with `err` set when the header makes the stream unframeable.
bool StreamFramer::noteHeader(std::string_view d, size_t start, size_t end, Frame& err) {
    std::string_view h = d.substr(start, end - start);
    size_t ne = scanWhile(h, 0, kToken);
    std::string_view name = h.substr(0, ne);
    if (!(equalsNoCase(name, "content-length") || equalsNoCase(name, "l"))) return true;
    size_t p = ne;
    while (p < h.size() && (h[p] == ' ' || h[p] == '\t')) ++p;
    if (p >= h.size() || h[p] != ':') return true;  // the parser will report it
    // Blanks around the value as the parser trims them (core/sip/msg_parse.cpp: SP, HT, CR,
    // LF), so a message the parser accepts is framed with the Content-Length it reads and is
    // not refused on a stream after being forwarded from a datagram.
    size_t vs = p + 1;
    while (vs < h.size() && is(h[vs], kLws)) ++vs;
    size_t ve = scanWhile(h, vs, kDigit);
    size_t tail = ve;
    while (tail < h.size() && is(h[tail], kLws)) ++tail;
    uint32_t v = 0;
    NumResult r =
        ve > vs && tail == h.size() ? parseU32(h.substr(vs, ve - vs), v) : NumResult::NotNumber;
    if (r == NumResult::NotNumber) {
        err = fail(ParseErrc::BadNumber, "Content-Length is not a number", start + vs);
        return false;
    }
    if (r == NumResult::TooLarge) {
        err = fail(ParseErrc::NumberTooLarge, "Content-Length exceeds 2**32-1", start + vs);
        return false;
    }
    if (haveLength_ && v != contentLength_) {
        err = fail(ParseErrc::DuplicateHeader, "two different Content-Length values", start);
        return false;
    }
    haveLength_ = true;
    contentLength_ = v;
    return true;
}

Frame StreamFramer::next(std::string_view d) {
    if (failed_) {
        Frame f;
        f.kind = FrameKind::Error;
        f.error = error_;
        return f;
    }
    Frame f;
    if (!inMessage_) {
        if (d.empty()) return f;
        if (d[0] == '\n') {  // stray LF between messages
            f.kind = FrameKind::Pong;
            f.length = 1;
            return f;
        }
        if (d[0] == '\r') {
            if (d.size() < 2) return f;
            if (d[1] != '\n') return fail(ParseErrc::BadLineEnding, "CR without LF", 0);
            // "\r\n" alone or "\r\n\r" may still become a ping: wait for the next octets.
            if (d.size() == 2 || (d.size() == 3 && d[2] == '\r')) return f;
            if (d[2] == '\r' && d[3] == '\n') {
                f.kind = FrameKind::Ping;
                f.length = 4;
            } else {
                f.kind = FrameKind::Pong;
                f.length = 2;
            }
            return f;
        }
        inMessage_ = true;
    }
    if (headerEnd_ == 0) {
        const size_t limit = d.size() < max_ ? d.size() : max_;
        while (pos_ < limit) {
            const void* nl = std::memchr(d.data() + pos_, '\n', limit - pos_);
            if (!nl) break;
            const size_t lineEnd = static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
            const size_t len = lineEnd - pos_;
            const bool empty = len == 1 || (len == 2 && d[pos_] == '\r');
            const bool continuation = !empty && (d[pos_] == ' ' || d[pos_] == '\t');
            if (!continuation) {
                if (hdrOpen_ && !noteHeader(d, hdrStart_, pos_, f)) return f;
                hdrOpen_ = false;
                if (empty) {
                    if (!pastFirstLine_) return fail(ParseErrc::Empty, "no start line", pos_);
                    headerEnd_ = lineEnd;
                    break;
                }
                if (pastFirstLine_) {
                    hdrStart_ = pos_;
                    hdrOpen_ = true;
                }
                pastFirstLine_ = true;
            }
            pos_ = lineEnd;
        }
        if (headerEnd_ == 0) {
            if (d.size() >= max_)
                return fail(ParseErrc::MessageTooLarge, "header section larger than the limit",
                            max_);
            return f;
        }
        if (!haveLength_)
            return fail(ParseErrc::MissingContentLength,
                        "Content-Length is required on stream transports", headerEnd_);
        if (headerEnd_ + contentLength_ > max_)
            return fail(ParseErrc::MessageTooLarge, "message larger than the limit", headerEnd_);
    }
    const size_t total = headerEnd_ + contentLength_;
    if (d.size() < total) return f;
    f.kind = FrameKind::Message;
    f.length = total;
    reset();
    return f;
}

}  // namespace osprey::sip
