// The outgoing message as the received one plus edits (docs/design.md §1 "no data copies").
//
// Every change is recorded as an edit against offsets in the received buffer: replace
// [start, end) with some text (an insertion has start == end, a removal no text). Edits are
// kept sorted and validated as they are added: two edits may not change the same octets, and
// nothing may be inserted inside a removed range (Overlap). build() applies them once,
// producing spans (iovecs) that alternate between untouched runs of the original buffer and
// the edit texts. Edit text is copied into the message's arena (pkg heap), so callers may pass
// temporaries; nothing on this path uses the system allocator.
//
//     MsgBuilder b(msg);                           // msg parsed with parseMsg at least
//     b.decrementMaxForwards();                    // or TooManyHops: send 483
//     b.addReceived(srcIp, srcPort);               // RFC 3261 §18.2.1, RFC 3581
//     b.addRecordRoute("<sip:proxy.example.com;lr>");
//     b.pushVia("SIP/2.0/UDP proxy.example.com;branch=z9hG4bK...");
//     OutSpans out;
//     if (b.build(out) == BuildError::Ok) sendmsg(... out.iov, out.count ...);
//
// build() also makes sure what RFC 4475 says a proxy must not propagate does not leave:
// the request line is rewritten with single spaces and without ?headers in the Request-URI
// (3.1.2.9-11), a From/To display name that is neither tokens nor a quoted string is quoted
// (3.1.2.15), and Content-Length is added when missing (stream transports need it) and kept
// right when the body changes. Octets after the body (3.1.1.8) are not sent.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/builder_output.h"
#include "core/sip/msg.h"

namespace osprey::sip {

class MsgBuilder {
public:
    explicit MsgBuilder(SipMsg& msg) : msg_(msg) {}
    MsgBuilder(const MsgBuilder&) = delete;
    MsgBuilder& operator=(const MsgBuilder&) = delete;

    // --- raw edits (offsets into msg.data) ---
    BuildError insertAt(uint32_t pos, std::string_view text);
    BuildError removeRange(uint32_t start, uint32_t end);
    BuildError replaceRange(uint32_t start, uint32_t end, std::string_view text);

    // --- headers (name must be a token; value a single line) ---
    BuildError appendHeader(std::string_view name, std::string_view value);   // after the last
    BuildError prependHeader(std::string_view name, std::string_view value);  // before the first
    BuildError insertHeaderBefore(const HeaderField& h, std::string_view name,
                                  std::string_view value);
    BuildError removeHeader(const HeaderField& h);
    BuildError removeHeaders(HeaderKind k);                 // every instance; none is fine
    BuildError removeHeadersByName(std::string_view name);  // case-insensitive, compact forms
    BuildError replaceHeaderValue(const HeaderField& h, std::string_view value);
    // Removes one value (a view into h.value, e.g. a ViaBody::text or RouteBody addr.text)
    // from a comma-separated header; the whole line when it is the only value.
    BuildError removeListValue(const HeaderField& h, std::string_view valueText);

    // --- request routing (RFC 3261 §16.6) ---
    BuildError setRequestUri(std::string_view uri);  // ?headers are dropped (RFC 4475 3.1.2.11)
    // Step 3: Max-Forwards minus one, or "Max-Forwards: <absentValue>" when missing.
    BuildError decrementMaxForwards(uint32_t absentValue = 70);
    // Step 4: a Record-Route value ("<sip:proxy;lr>") before any existing one.
    BuildError addRecordRoute(std::string_view value);
    // Step 8: a new top Via ("SIP/2.0/UDP host:port;branch=z9hG4bK...").
    BuildError pushVia(std::string_view value);
    // Responses (§16.7 step 3): removes the top via-parm.
    BuildError popVia();
    // RFC 3261 §18.2.1 and RFC 3581 §4: received when the sent-by differs from the source
    // address (always when rport was asked for), rport's value set to the source port.
    BuildError addReceived(std::string_view srcIp, uint16_t srcPort);
    // Replaces the body; Content-Length follows, Content-Type is set when given.
    BuildError setBody(std::string_view body, std::string_view contentType = {});

    // Applies every edit. Spans (and edit text) live in msg.arena until msg.reset().
    BuildError build(OutSpans& out);
    // The same from the first header on: the start line (and edits to it) is left out, for
    // forwarders that write a request line per copy (route::buildRequest).
    BuildError buildHeaders(OutSpans& out);
    // True once a build added the finishing edits (Content-Length, display names): edits a
    // caller wants made once per message, before that, go in while this is false.
    bool finished() const { return finished_; }

    uint32_t editCount() const { return count_; }

private:
    struct Edit {
        uint32_t start;
        uint32_t end;
        const char* text;
        uint32_t len;
        uint32_t seq;  // order of insertions at the same offset
    };
    static constexpr uint32_t kInlineEdits = 16;

    BuildError addEdit(uint32_t start, uint32_t end, std::string_view text, bool copy = true);
    BuildError insertHeaderAt(uint32_t pos, std::string_view name, std::string_view value);
    const char* copyText(std::string_view text);
    uint32_t headersEnd();  // where appended headers go
    BuildError buildFrom(OutSpans& out, bool startLine);
    BuildError finishRequestLine();
    BuildError finishContentLength(uint32_t bodyEnd);
    BuildError repairDisplayNames();
    bool touched(uint32_t start, uint32_t end) const;       // some edit changes [start, end)
    bool removedWhole(uint32_t start, uint32_t end) const;  // one edit deletes exactly that

    SipMsg& msg_;
    Edit inline_[kInlineEdits];
    Edit* edits_ = inline_;
    uint32_t count_ = 0;
    uint32_t capacity_ = kInlineEdits;
    uint32_t seq_ = 0;
    std::string_view newRuri_;
    bool ruriSet_ = false;
    bool bodySet_ = false;
    bool finished_ = false;      // build() added its own edits
    bool lineFinished_ = false;  // the request line was made canonical (build() only)
    std::string_view newBody_;
};

// Scans the whole header section, even after an earlier parse error in some header value
// (so a 400 can still be built). False when the scan itself fails.
bool scanAllHeaders(SipMsg& msg);

// Offset just past the end of a header's value, before its line terminator.
uint32_t headerValueEnd(const SipMsg& msg, const HeaderField& h);

}  // namespace osprey::sip
