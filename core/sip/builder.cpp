// MsgBuilder core: the sorted, validated edit list and build(), which turns the received buffer
// plus edits into spans. The SIP-level edits are in builder_edits.cpp.
#include "core/sip/builder.h"

#include <algorithm>
#include <cstring>

#include "core/sip/builder_sanitize.h"
#include "core/sip/builder_via.h"

namespace osprey::sip {

namespace {

// Offset just past the start line's terminator (CRLF or bare LF).
uint32_t startLineEnd(const SipMsg& msg) {
    size_t pos = msg.offsetOf(msg.start.text) + msg.start.text.size();
    if (pos < msg.data.size() && msg.data[pos] == '\r') ++pos;
    if (pos < msg.data.size() && msg.data[pos] == '\n') ++pos;
    return static_cast<uint32_t>(pos);
}

uint32_t countLf(const char* p, size_t n) {
    uint32_t lf = 0;
    for (const char* end = p + n; p < end; ++lf) {
        const void* at = std::memchr(p, '\n', static_cast<size_t>(end - p));
        if (at == nullptr) break;
        p = static_cast<const char*>(at) + 1;
    }
    return lf;
}

// Header lines in the spans as the parser counts them (a line starting with SP or HT continues
// the one before), up to the empty line ending the header section.
uint32_t countHeaderLines(const iovec* iov, uint32_t count, bool fromStartLine) {
    uint32_t lines = 0;
    bool lineStart = !fromStartLine;
    for (uint32_t i = 0; i < count; ++i) {
        const char* p = static_cast<const char*>(iov[i].iov_base);
        const char* end = p + iov[i].iov_len;
        while (p < end) {
            if (lineStart) {
                if (*p == '\r' || *p == '\n') return lines;
                if (*p != ' ' && *p != '\t') ++lines;
                lineStart = false;
            }
            const void* lf = std::memchr(p, '\n', static_cast<size_t>(end - p));
            if (lf == nullptr) break;
            p = static_cast<const char*>(lf) + 1;
            lineStart = true;
        }
    }
    return lines;
}

}  // namespace

bool scanAllHeaders(SipMsg& msg) {
    if (msg.eoh) return true;
    if (!msg.error) return parseHeaders(msg, HDR_EOH) || msg.eoh;
    // parseHeaders refuses to run once an error is recorded (say a bad value found by an
    // earlier parse), but the scanner still works: nextHeader on the last header found drives
    // it one header at a time until the end of the section or a scan error.
    while (!msg.eoh) {
        uint32_t before = msg.headerCount();
        HeaderField* h =
            before > 0 ? nextHeader(msg, msg.header(before - 1)) : findHeader(msg, HeaderKind::Via);
        if (h == nullptr && !msg.eoh) return false;
        if (h != nullptr && msg.headerCount() == before) return false;  // no progress
    }
    return true;
}

uint32_t headerValueEnd(const SipMsg& msg, const HeaderField& h) {
    if (!h.value.empty()) return msg.offsetOf(h.value) + static_cast<uint32_t>(h.value.size());
    // An empty value ends where the line terminator starts.
    uint32_t end = h.end;
    while (end > h.start && (msg.data[end - 1] == '\n' || msg.data[end - 1] == '\r')) --end;
    return end;
}

const char* MsgBuilder::copyText(std::string_view text) {
    if (text.empty()) return "";
    char* p = static_cast<char*>(msg_.arena.alloc(text.size()));
    if (p != nullptr) std::memcpy(p, text.data(), text.size());
    return p;
}

BuildError MsgBuilder::addEdit(uint32_t start, uint32_t end, std::string_view text, bool copy) {
    if (start > end || end > msg_.data.size()) return BuildError::BadRange;
    if (start == end && text.empty()) return BuildError::Ok;  // nothing to do
    // No two edits may change the same octets, and nothing goes inside a removed range.
    for (uint32_t i = 0; i < count_; ++i) {
        const Edit& e = edits_[i];
        if (e.start >= end) break;  // sorted by start: nothing further can reach into [start, end)
        bool clash = (start == end)       ? (e.start < start && start < e.end)
                     : (e.start == e.end) ? (start < e.start && e.start < end)
                                          : (std::max(start, e.start) < std::min(end, e.end));
        if (clash) return BuildError::Overlap;
    }
    const char* stored = copy ? copyText(text) : text.data();
    if (stored == nullptr) return BuildError::OutOfMemory;
    if (count_ == capacity_) {
        uint32_t cap = capacity_ * 2;
        auto* grown = static_cast<Edit*>(msg_.arena.alloc(sizeof(Edit) * cap));
        if (grown == nullptr) return BuildError::OutOfMemory;
        std::memcpy(grown, edits_, sizeof(Edit) * count_);
        edits_ = grown;
        capacity_ = cap;
    }
    // Sorted by start; at one offset, insertions (in the order made) come before the range
    // that starts there.
    Edit add{start, end, stored, static_cast<uint32_t>(text.size()), seq_++};
    uint32_t at = count_;
    while (at > 0) {
        const Edit& prev = edits_[at - 1];
        bool after = prev.start < add.start ||
                     (prev.start == add.start && (prev.start == prev.end || add.start != add.end));
        if (after) break;
        edits_[at] = prev;
        --at;
    }
    edits_[at] = add;
    ++count_;
    return BuildError::Ok;
}

BuildError MsgBuilder::insertAt(uint32_t pos, std::string_view text) {
    return addEdit(pos, pos, text);
}

BuildError MsgBuilder::removeRange(uint32_t start, uint32_t end) {
    return addEdit(start, end, {});
}

BuildError MsgBuilder::replaceRange(uint32_t start, uint32_t end, std::string_view text) {
    return addEdit(start, end, text);
}

uint32_t MsgBuilder::headersEnd() {
    uint32_t n = msg_.headerCount();
    return n > 0 ? msg_.header(n - 1).end : startLineEnd(msg_);
}

BuildError MsgBuilder::insertHeaderAt(uint32_t pos, std::string_view name, std::string_view value) {
    if (!isHeaderName(name) || !isHeaderValue(value)) return BuildError::BadHeader;
    size_t n = name.size() + 2 + value.size() + 2;
    char* p = static_cast<char*>(msg_.arena.alloc(n));
    if (p == nullptr) return BuildError::OutOfMemory;
    char* w = p;
    std::memcpy(w, name.data(), name.size());
    w += name.size();
    *w++ = ':';
    *w++ = ' ';
    if (!value.empty()) std::memcpy(w, value.data(), value.size());
    w += value.size();
    *w++ = '\r';
    *w++ = '\n';
    return addEdit(pos, pos, std::string_view(p, n), false);
}

// RFC 4475 3.1.2.7, 3.1.2.9-11: one SP between the parts, no <> and no ?headers around the
// Request-URI. The line is rewritten only when it differs from that (or the URI changed).
BuildError MsgBuilder::finishRequestLine() {
    const StartLine& sl = msg_.start;
    if (sl.methodText.empty() || sl.uri.empty() || sl.version.empty()) return BuildError::Unparsed;
    std::string_view uri = ruriSet_ ? newRuri_ : cleanRequestUri(sl.uri);
    size_t n = sl.methodText.size() + 1 + uri.size() + 1 + sl.version.size();
    bool canonical = !ruriSet_ && uri.data() == sl.uri.data() && uri.size() == sl.uri.size() &&
                     sl.text.size() == n && sl.text.data() == sl.methodText.data();
    if (canonical) return BuildError::Ok;
    char* p = static_cast<char*>(msg_.arena.alloc(n));
    if (p == nullptr) return BuildError::OutOfMemory;
    char* w = p;
    std::memcpy(w, sl.methodText.data(), sl.methodText.size());
    w += sl.methodText.size();
    *w++ = ' ';
    std::memcpy(w, uri.data(), uri.size());
    w += uri.size();
    *w++ = ' ';
    std::memcpy(w, sl.version.data(), sl.version.size());
    uint32_t start = msg_.offsetOf(sl.text);
    return addEdit(start, start + static_cast<uint32_t>(sl.text.size()), std::string_view(p, n),
                   false);
}

// Content-Length present and right: over a stream transport the receiver needs it to find
// the end of the message (RFC 3261 §18.3), and the body may have changed.
BuildError MsgBuilder::finishContentLength(uint32_t bodyEnd) {
    // Edits inside the body (an SDP address rewritten in place) change its length too.
    int64_t delta = 0;
    bool bodyEdited = false;
    for (uint32_t i = 0; !bodySet_ && i < count_; ++i) {
        const Edit& e = edits_[i];
        if (e.start < msg_.bodyStart || e.start > bodyEnd) continue;
        delta += int64_t{e.len} - (int64_t{e.end} - e.start);
        bodyEdited = true;
    }
    size_t bodyLen =
        bodySet_ ? newBody_.size() : static_cast<size_t>(bodyEnd - msg_.bodyStart + delta);
    char num[24];
    std::string_view text(num, formatDecimal(bodyLen, num));

    HeaderField* cl = findHeader(msg_, HeaderKind::ContentLength);
    if (cl == nullptr || removedWhole(cl->start, cl->end)) {
        return insertHeaderAt(headersEnd(), "Content-Length", text);
    }
    if ((!bodySet_ && !bodyEdited) || touched(cl->start, cl->end))
        return BuildError::Ok;  // caller's value stands
    uint32_t vs = cl->value.empty() ? headerValueEnd(msg_, *cl) : msg_.offsetOf(cl->value);
    return addEdit(vs, headerValueEnd(msg_, *cl), text);
}

BuildError MsgBuilder::build(OutSpans& out) {
    return buildFrom(out, true);
}

BuildError MsgBuilder::buildHeaders(OutSpans& out) {
    return buildFrom(out, false);
}

BuildError MsgBuilder::buildFrom(OutSpans& out, bool startLine) {
    out = OutSpans{};
    // The whole header section and the body bounds are needed to place and check edits.
    if (!scanAllHeaders(msg_)) return BuildError::Unparsed;
    if (!msg_.bodyFound && !findBody(msg_)) return BuildError::Unparsed;
    uint32_t bodyEnd = msg_.bodyStart + static_cast<uint32_t>(msg_.body.size());

    if (!finished_) {
        finished_ = true;
        BuildError e = repairDisplayNames();
        if (e == BuildError::Ok) e = finishContentLength(bodyEnd);
        if (e != BuildError::Ok) {
            finished_ = false;
            return e;
        }
    }
    if (startLine && !lineFinished_ && msg_.isRequest()) {
        BuildError e = finishRequestLine();
        if (e != BuildError::Ok) return e;
        lineFinished_ = true;
    }

    auto* iov = static_cast<iovec*>(msg_.arena.alloc(sizeof(iovec) * (2 * count_ + 1)));
    if (iov == nullptr) return BuildError::OutOfMemory;
    uint32_t n = 0;
    size_t bytes = 0;
    // CRLFs before the start line stay behind; without the start line, output begins at the
    // first header (edits to the start line are skipped, insertions right there are kept).
    uint32_t pos = startLine ? msg_.offsetOf(msg_.start.text) : startLineEnd(msg_);
    auto emit = [&](const char* p, size_t len) {
        if (len == 0) return;
        iov[n].iov_base = const_cast<char*>(p);
        iov[n].iov_len = len;
        ++n;
        bytes += len;
    };
    // Each edit in the header section adds at most one header line plus one per LF in its
    // text (a line it starts, or a continuation line it unfolds), so this bounds the count.
    uint64_t linesBound = msg_.headerCount();
    uint32_t i = 0;
    if (!startLine) {
        while (i < count_ && edits_[i].start < pos) {
            if (edits_[i].end > pos) return BuildError::BadRange;
            ++i;
        }
    }
    for (; i < count_; ++i) {
        const Edit& e = edits_[i];
        if (e.end > bodyEnd || e.start < pos) return BuildError::BadRange;
        if (e.start > pos) emit(msg_.data.data() + pos, e.start - pos);
        emit(e.text, e.len);
        if (e.end > pos) pos = e.end;
        if (e.start < msg_.bodyStart) {
            linesBound += 1 + countLf(e.text, e.len);
        }
    }
    if (bodyEnd > pos) emit(msg_.data.data() + pos, bodyEnd - pos);
    // The parser refuses more than SipMsg::kMaxHeaders header lines (hostile input), so a
    // message near that limit plus the script's headers is not sent: Osprey itself would
    // refuse it at the next hop, or close the stream it arrived on. Counted only when the
    // bound says it may be over.
    if (linesBound > SipMsg::kMaxHeaders &&
        countHeaderLines(iov, n, startLine) > SipMsg::kMaxHeaders)
        return BuildError::TooManyHeaders;
    out.iov = iov;
    out.count = n;
    out.bytes = bytes;
    return BuildError::Ok;
}

}  // namespace osprey::sip
