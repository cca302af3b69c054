// What went wrong while parsing a SIP message, and where. Errors are values (no exceptions on
// the message path). The parser fills a ParseError without formatting anything; text is made
// only when someone asks for it: formatParseError for logs ("CSeq: method 'INVITE' does not
// match request method 'BYE' (byte 212)"), formatReasonPhrase for the 400 sent back
// ("Bad CSeq: method mismatch"), suggestedStatus for the response code (400, 416, 505).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/sip/header_kind.h"

namespace osprey::sip {

enum class ParseErrc : uint8_t {
    None = 0,
    Empty,                 // no start line at all
    Truncated,             // the data ends inside the start line or the header section
    BadStartLine,          // neither "Method SP URI SP SIP/x.y" nor "SIP/x.y SP code SP reason"
    BadMethod,             // method is not a token
    RequestLineSpaces,     // extra or trailing whitespace in the request line (RFC 4475 3.1.2.9/10)
    BadRequestUri,         // illegal character, <>, LWS or ?headers in the Request-URI
    UnsupportedUriScheme,  // Request-URI scheme other than sip/sips/tel: 416 (RFC 3261 §8.2.2.1)
    BadVersion,            // SIP version other than 2.0: 505 (RFC 3261 §8.2.2... §21.5.7)
    BadStatusCode,         // status code not three digits 100..699 (RFC 4475 3.1.2.19)
    BadReasonPhrase,       // control characters in the reason phrase
    BadHeaderName,         // empty or non-token header name
    MissingColon,          // header line without ':'
    BadLineEnding,         // bare CR, or NUL/control octets outside quoted strings
    TooManyHeaders,
    BadValue,              // a header value does not follow its grammar (detail says how)
    UnterminatedQuote,     // quoted string or comment not closed (RFC 4475 3.1.2.6)
    BadDisplayName,        // display name neither tokens nor a quoted string (RFC 4475 3.1.2.15)
    BadNameAddr,           // <...> not closed, LWS inside <>, URI needing <> without them
    BadUri,                // a URI inside a header does not parse
    BadParam,              // empty or malformed ;param (RFC 4475 3.1.2.1)
    BadNumber,             // not a decimal number (or negative)
    NumberTooLarge,        // number above the header's range (RFC 4475 3.1.2.4/5)
    MultipleValues,        // comma-separated values in a single-value header
    DuplicateHeader,       // a single-instance header appears twice (RFC 4475 3.3.8/3.3.9)
    MissingHeader,         // a mandatory header is absent (RFC 4475 3.3.1)
    CSeqMethodMismatch,    // CSeq method != request method (RFC 4475 3.1.2.17/18)
    BodyTooShort,          // Content-Length larger than the data received (RFC 4475 3.1.2.2)
    MissingContentLength,  // stream transport message without Content-Length (RFC 3261 §18.3)
    MessageTooLarge,
    OutOfMemory,  // the per-message heap is exhausted
};

struct ParseError {
    ParseErrc code = ParseErrc::None;
    HeaderKind kind = HeaderKind::Other;  // header concerned (Other with `header` set, or none)
    std::string_view header;              // header name as written; empty for start line and body
    uint32_t offset = 0;                  // byte offset into the message where the problem was seen
    const char* detail = "";              // static text; "%1"/"%2" stand for got/want
    std::string_view got;                 // offending text (a view into the message)
    std::string_view want;                // what it had to match, for mismatches

    explicit operator bool() const { return code != ParseErrc::None; }
};

const char* parseErrcName(ParseErrc c);  // "BadVersion", ... (stable, for logs and tests)

// 400 for most, 416 for an unsupported Request-URI scheme, 505 for a bad version,
// 413 for an oversized message, 500 for OutOfMemory.
int suggestedStatus(const ParseError& e);

// Log line: "<header or place>: <detail with got/want> (byte N)". Non-printable octets of
// got/want are shown as \xNN and long ones are cut. Returns the length (always < cap,
// NUL-terminated); cap must be > 0.
size_t formatParseError(const ParseError& e, char* out, size_t cap);

// Short reason phrase for the 400 response: only printable ASCII taken from header names and
// static text, never message content, so it is safe to put on the status line.
size_t formatReasonPhrase(const ParseError& e, char* out, size_t cap);

}  // namespace osprey::sip
