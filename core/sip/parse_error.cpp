// Turning a ParseError into text: a precise line for logs and a short, safe reason phrase.
#include "core/sip/parse_error.h"

#include <cstring>

#include "core/sip/text.h"

namespace osprey::sip {
namespace {

struct Info {
    const char* name;
    const char* shortText;  // for the reason phrase
};

constexpr Info kInfo[] = {
    {"None", "OK"},
    {"Empty", "empty message"},
    {"Truncated", "message truncated"},
    {"BadStartLine", "malformed start line"},
    {"BadMethod", "malformed method"},
    {"RequestLineSpaces", "extra whitespace in request line"},
    {"BadRequestUri", "malformed Request-URI"},
    {"UnsupportedUriScheme", "unsupported URI scheme"},
    {"BadVersion", "SIP version not supported"},
    {"BadStatusCode", "malformed status code"},
    {"BadReasonPhrase", "malformed reason phrase"},
    {"BadHeaderName", "malformed header name"},
    {"MissingColon", "header without colon"},
    {"BadLineEnding", "malformed line ending"},
    {"TooManyHeaders", "too many headers"},
    {"BadValue", "malformed value"},
    {"UnterminatedQuote", "unterminated quoted string"},
    {"BadDisplayName", "malformed display name"},
    {"BadNameAddr", "malformed address"},
    {"BadUri", "malformed URI"},
    {"BadParam", "malformed parameter"},
    {"BadNumber", "malformed number"},
    {"NumberTooLarge", "value out of range"},
    {"MultipleValues", "multiple values"},
    {"DuplicateHeader", "duplicate header"},
    {"MissingHeader", "missing header"},
    {"CSeqMethodMismatch", "method mismatch"},
    {"BodyTooShort", "body shorter than Content-Length"},
    {"MissingContentLength", "missing Content-Length"},
    {"MessageTooLarge", "message too large"},
    {"OutOfMemory", "out of memory"},
};
static_assert(std::size(kInfo) == static_cast<size_t>(ParseErrc::OutOfMemory) + 1);

const Info& info(ParseErrc c) {
    size_t i = static_cast<size_t>(c);
    return kInfo[i < std::size(kInfo) ? i : 0];
}

// Appends into a bounded buffer, always leaving room for the NUL.
struct Out {
    char* p;
    size_t cap;
    size_t n = 0;
    void put(char c) {
        if (n + 1 < cap) p[n++] = c;
    }
    void put(std::string_view s) {
        for (char c : s) put(c);
    }
    // Message text: printable ASCII as is, anything else as \xNN; cut after `max` octets.
    void putSafe(std::string_view s, size_t max) {
        size_t shown = s.size() < max ? s.size() : max;
        for (size_t i = 0; i < shown; ++i) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                put(static_cast<char>(c));
            } else {
                put('\\');
                put('x');
                put(kHexDigits[c >> 4]);
                put(kHexDigits[c & 15]);
            }
        }
        if (shown < s.size()) put("...");
    }
    void putNum(uint32_t v) {
        char tmp[12];
        int k = 0;
        do {
            tmp[k++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        while (k) put(tmp[--k]);
    }
    size_t finish() {
        p[n] = '\0';
        return n;
    }
};

std::string_view place(const ParseError& e) {
    if (!e.header.empty()) return e.header;
    if (e.kind != HeaderKind::Other) return headerKindName(e.kind);
    return {};
}

// Header names come from the message but are tokens (checked by the scanner); still, keep
// only token octets so nothing odd reaches a status line.
void putToken(Out& o, std::string_view s) {
    for (char c : s.substr(0, 40)) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  std::strchr("-.!%*_+`'~", c) != nullptr;
        if (ok && c != '\0') o.put(c);
    }
}

}  // namespace

const char* parseErrcName(ParseErrc c) {
    return info(c).name;
}

int suggestedStatus(const ParseError& e) {
    switch (e.code) {
        case ParseErrc::None:
            return 200;
        case ParseErrc::UnsupportedUriScheme:
            return 416;
        case ParseErrc::BadVersion:
            return 505;
        case ParseErrc::MessageTooLarge:
            return 513;
        case ParseErrc::OutOfMemory:
            return 500;
        default:
            return 400;
    }
}

size_t formatParseError(const ParseError& e, char* out, size_t cap) {
    Out o{out, cap};
    if (cap == 0) return 0;
    std::string_view where = place(e);
    if (where.empty()) {
        o.put(e.code == ParseErrc::BodyTooShort || e.code == ParseErrc::MissingContentLength
                  ? "message"
                  : "start line");
    } else {
        o.putSafe(where, 40);
    }
    o.put(": ");
    const char* d = (e.detail && *e.detail) ? e.detail : info(e.code).shortText;
    for (const char* p = d; *p; ++p) {
        if (p[0] == '%' && (p[1] == '1' || p[1] == '2')) {
            o.putSafe(p[1] == '1' ? e.got : e.want, 48);
            ++p;
        } else {
            o.put(*p);
        }
    }
    o.put(" (byte ");
    o.putNum(e.offset);
    o.put(')');
    return o.finish();
}

size_t formatReasonPhrase(const ParseError& e, char* out, size_t cap) {
    Out o{out, cap};
    if (cap == 0) return 0;
    switch (e.code) {
        case ParseErrc::None:
            o.put("OK");
            return o.finish();
        case ParseErrc::BadVersion:
            o.put("Version Not Supported");
            return o.finish();
        case ParseErrc::UnsupportedUriScheme:
            o.put("Unsupported URI Scheme");
            return o.finish();
        case ParseErrc::MessageTooLarge:
            o.put("Message Too Large");
            return o.finish();
        case ParseErrc::OutOfMemory:
            o.put("Server Internal Error");
            return o.finish();
        default:
            break;
    }
    o.put("Bad ");
    std::string_view where = place(e);
    if (e.code == ParseErrc::MissingHeader) {
        o.put("Request - missing ");
        putToken(o, where);
        return o.finish();
    }
    if (where.empty()) {
        switch (e.code) {
            case ParseErrc::BadRequestUri:
                o.put("Request-URI");
                break;
            case ParseErrc::BodyTooShort:
            case ParseErrc::MissingContentLength:
                o.put("Content-Length");
                break;
            default:
                o.put("Request");
                break;
        }
        if (e.code != ParseErrc::BadRequestUri) {
            o.put(" - ");
            o.put(info(e.code).shortText);
        }
        return o.finish();
    }
    putToken(o, where);
    o.put(" - ");
    o.put(info(e.code).shortText);
    return o.finish();
}

}  // namespace osprey::sip
