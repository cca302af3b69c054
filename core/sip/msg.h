// A received SIP message, parsed in place and lazily.
//
// Zero copy: every std::string_view in a SipMsg (and in the parsed header bodies hanging off
// it) points into the receive buffer given to parseMsg, which must stay valid and unchanged
// while the message is in use. A header value view runs from the first non-blank octet after
// the colon to the last non-blank octet of the header, so it may contain line folding
// (CRLF followed by SP/HT); the typed parsers skip folding as whitespace.
//
// Lazy: parseMsg reads the start line and the headers up to the first Via, and parses that
// Via's first value (the one a proxy needs for every message). Everything else is found and
// parsed when asked for:
//
//     SipMsg msg;
//     if (!parseMsg(msg, datagram)) reply400(msg.reasonPhrase());
//     // Proxy fast path: what routing needs, scanning stops once all are found.
//     parseHeaders(msg, HDR_FROM | HDR_TO | HDR_CALLID | HDR_CSEQ | HDR_MAXFORWARDS | HDR_ROUTE);
//     const FromToBody* to = getTo(msg);          // from_to.h; cached after the first call
//     const CSeqBody* cseq = getCSeq(msg);        // cseq.h
//     // Or everything (every header, every value, every URI) - registrar, tests, fuzzing:
//     parseAll(msg);
//     checkMessage(msg);                          // RFC 3261 §8.2 / §16.3 sanity checks
//
// Headers are kept in arrival order as HeaderField slots (the first kInlineHeaders inside the
// SipMsg, more in blocks from the message's arena; a slot never moves once created, so a
// HeaderField* stays valid for the life of the message). Headers of one kind are chained by
// index (nextSame). Each slot caches its parsed body (`body`, type given by the kind: see
// via.h, from_to.h, cseq.h, contact.h, route.h, ...).
//
// Memory: SipMsg is meant to live on the worker's stack or be reused per message; parsed
// bodies and extra header slots come from its MsgArena (inline bytes, then pkg chunks), all
// returned at once by reset() or the destructor. The parse path makes no system allocator call.
//
// Errors: any function returning false (or nullptr where a value was expected and present)
// has set msg.error; the first error sticks (later calls do not overwrite it).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/header_kind.h"
#include "core/sip/method.h"
#include "core/sip/msg_arena.h"
#include "core/sip/parse_error.h"
#include "core/sip/uri.h"

namespace osprey::sip {

struct ViaBody;

inline constexpr uint16_t kNoHeader = 0xFFFF;

enum class BodyState : uint8_t { Unparsed, Parsed, Bad };

struct HeaderField {
    std::string_view name;   // as written ("v", "Via", "C%6Fntact")
    std::string_view value;  // trimmed; may contain folding (see above)
    uint32_t start;          // offset of the first octet of the header line
    uint32_t end;            // offset just past its line terminator (CRLF, or bare LF)
    HeaderKind kind;
    BodyState state;
    uint16_t nextSame;  // index of the next header of the same kind, or kNoHeader
    void* body;         // parsed value when state == Parsed (type depends on kind)
};

struct StartLine {
    bool isRequest = false;
    // Request-Line (RFC 3261 §7.1)
    Method method = Method::Other;
    std::string_view methodText;
    std::string_view uri;  // Request-URI as written; requestUri() parses it
    // Status-Line (RFC 3261 §7.2)
    uint16_t status = 0;
    std::string_view reason;   // may be empty (RFC 4475 3.1.1.13)
    std::string_view version;  // "SIP/2.0" as written
    std::string_view text;     // the whole line without its terminator
};

struct SipMsg {
    static constexpr unsigned kInlineHeaders = 32;
    static constexpr unsigned kBlockHeaders = 32;
    static constexpr unsigned kMaxHeaders = 1024;  // more is TooManyHeaders (hostile input)

    SipMsg();
    ~SipMsg() = default;
    SipMsg(const SipMsg&) = delete;
    SipMsg& operator=(const SipMsg&) = delete;

    // Forgets everything and returns the arena, so the SipMsg can take the next message.
    void reset();

    bool isRequest() const { return start.isRequest; }
    Method method() const { return start.method; }
    uint32_t headerCount() const { return count; }
    HeaderField& header(uint32_t i) {
        return i < kInlineHeaders ? inlineHeaders()[i]
                                  : blocks[(i - kInlineHeaders) / kBlockHeaders]
                                          [(i - kInlineHeaders) % kBlockHeaders];
    }
    uint32_t indexOf(const HeaderField& h) const;
    uint32_t offsetOf(std::string_view v) const {
        return static_cast<uint32_t>(v.data() - data.data());
    }
    bool headersComplete() const { return eoh; }

    // Text for the first error, formatted on demand into this message (see parse_error.h).
    std::string_view errorText();
    std::string_view reasonPhrase();
    int errorStatus() const { return suggestedStatus(error); }

    // --- state (read freely; written only by the parser) ---
    std::string_view data;  // the buffer given to parseMsg
    StartLine start;
    ViaBody* topVia = nullptr;  // first value of the first Via (requests and replies)
    ParseError error;
    HeaderMask seen = 0;     // kinds found so far
    uint32_t count = 0;      // headers found so far
    uint32_t scanPos = 0;    // where header scanning continues
    bool eoh = false;        // header section fully scanned
    uint32_t bodyStart = 0;  // valid once eoh: offset after the empty line
    std::string_view body;   // set by findBody (and parseAll / checkMessage)
    bool bodyFound = false;
    SipUri* ruri = nullptr;              // set by requestUri()
    uint16_t firstOf[kHeaderKindCount];  // valid for kinds whose `seen` bit is set
    uint16_t lastOf[kHeaderKindCount];
    HeaderField* blocks[(kMaxHeaders - kInlineHeaders) / kBlockHeaders];
    MsgArena arena;

    // Internal: records err unless an error is already set; returns false.
    bool fail(const ParseError& err);
    // Internal: appends a header slot; nullptr (and error) on overflow.
    HeaderField* addHeader() {
        return count < kInlineHeaders ? &inlineHeaders()[count++] : addHeaderSlow();
    }

private:
    HeaderField* addHeaderSlow();
    HeaderField* inlineHeaders() { return reinterpret_cast<HeaderField*>(inlineStore_); }
    alignas(HeaderField) unsigned char inlineStore_[kInlineHeaders * sizeof(HeaderField)];
    char errorBuf_[192];
    char reasonBuf_[80];
};

// Parses the start line, and scans headers up to and including the first Via, whose first
// value is parsed (msg.topVia; a message without Via has none, checkMessage reports it).
bool parseMsg(SipMsg& msg, std::string_view data);

// Scans until the first instance of every kind in `need` has been found (HDR_EOH, or a kind
// that is absent, scans to the end of the header section), then parses the body of the first
// instance of each needed kind that has a typed parser. Kinds already found cost nothing.
bool parseHeaders(SipMsg& msg, HeaderMask need);

// Full parse: every header, every value of every known kind, every URI in them, the
// Request-URI, and the body bounds. The first error stops it.
bool parseAll(SipMsg& msg);

// Sanity checks before routing (RFC 3261 §8.2.2, §16.3): To, From, Call-ID, CSeq and Via
// present; no second instance of a single-instance header; CSeq method equal to the request
// method; Content-Length not beyond the data. Scans to the end of the header section and
// parses what it checks.
bool checkMessage(SipMsg& msg);

// Finds the body: Content-Length octets after the empty line, or (no Content-Length, datagram)
// the rest of the data. Octets after Content-Length are ignored (RFC 3261 §18.3, RFC 4475
// 3.1.1.8); fewer than Content-Length is BodyTooShort. The body is never parsed (multipart
// passes through untouched).
bool findBody(SipMsg& msg);

// First header of a kind, scanning as far as needed; nullptr if absent (or on a scan error:
// check msg.error). Other headers by name: case-insensitive, compact forms included.
HeaderField* findHeader(SipMsg& msg, HeaderKind k);
HeaderField* nextHeader(SipMsg& msg, const HeaderField& h);  // next of the same kind
HeaderField* findHeaderByName(SipMsg& msg, std::string_view name);

// The Request-URI parsed with parseUri (cached). Errors: UnsupportedUriScheme (416) for an
// unknown scheme (RFC 4475 3.3.2), BadRequestUri for bad syntax or ?headers (RFC 3261 §19.1.1,
// RFC 4475 3.1.2.11). nullptr for responses.
const SipUri* requestUri(SipMsg& msg);

}  // namespace osprey::sip
