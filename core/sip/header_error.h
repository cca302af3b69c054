// Internal: how the typed header parsers report an error on a header (marks the header Bad,
// records the first error on the message with the octet offset).
#pragma once
#include <string_view>

#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

inline bool headerFail(SipMsg& msg, HeaderField& h, ParseErrc code, const char* detail,
                       size_t posInValue, std::string_view got = {}, std::string_view want = {}) {
    h.state = BodyState::Bad;
    ParseError e;
    e.code = code;
    e.kind = h.kind;
    e.header = h.name;
    e.offset = msg.offsetOf(h.value) + static_cast<uint32_t>(posInValue);
    e.detail = detail;
    e.got = got;
    e.want = want;
    return msg.fail(e);
}

// Same with an error a sub-parser filled with an offset relative to the header value.
inline bool headerFail(SipMsg& msg, HeaderField& h, ParseError e) {
    h.state = BodyState::Bad;
    e.kind = h.kind;
    e.header = h.name;
    e.offset += msg.offsetOf(h.value);
    return msg.fail(e);
}

inline bool outOfMemory(SipMsg& msg, HeaderField& h) {
    return headerFail(msg, h, ParseErrc::OutOfMemory, "per-message heap exhausted", 0);
}

// Returns the cached body (or nullptr when the header was already found bad).
template <class T>
inline bool cachedBody(const HeaderField& h, const T*& out) {
    if (h.state == BodyState::Parsed) {
        out = static_cast<const T*>(h.body);
        return true;
    }
    if (h.state == BodyState::Bad) {
        out = nullptr;
        return true;
    }
    return false;
}

// Ends a header that carries exactly one value: only LWS may follow it at p (a ',' there is
// a list where one value is allowed, anything else a bad value). On success caches body on h.
template <class T>
inline const T* finishSingleValue(SipMsg& msg, HeaderField& h, size_t p, T* body,
                                  const char* multipleDetail, const char* unexpectedDetail) {
    const std::string_view s = h.value;
    p = lex::skipLws(s, p);
    if (p < s.size()) {
        if (s[p] == ',')
            headerFail(msg, h, ParseErrc::MultipleValues, multipleDetail, p, s.substr(p, 1));
        else
            headerFail(msg, h, ParseErrc::BadValue, unexpectedDetail, p, s.substr(p, 1));
        return nullptr;
    }
    h.body = body;
    h.state = BodyState::Parsed;
    return body;
}

// Dispatches to the typed parser of h.kind (no-op for kinds kept raw). Internal.
bool parseHeaderBody(SipMsg& msg, HeaderField& h);

}  // namespace osprey::sip
