// Single-number headers: Max-Forwards, Content-Length, Expires, Min-Expires (RFC 3261
// §20.22, §20.14, §20.19, §20.23).
#include "core/sip/number_header.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

const NumberBody* parseNumberHeader(SipMsg& msg, HeaderField& h) {
    const NumberBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    NumberBody* b = msg.arena.make<NumberBody>();
    if (!b) {
        outOfMemory(msg, h);
        return nullptr;
    }
    if (s.empty()) {
        headerFail(msg, h, ParseErrc::BadNumber, "empty value", 0);
        return nullptr;
    }
    if (s[0] == '-') {
        headerFail(msg, h, ParseErrc::BadNumber, "negative value '%1'", 0, s);
        return nullptr;
    }
    size_t de = scanWhile(s, 0, kDigit);
    if (de != s.size()) {
        if (de > 0 && h.kind == HeaderKind::Expires && s.find(',', de) != std::string_view::npos)
            headerFail(msg, h, ParseErrc::MultipleValues, "more than one value", de);
        else
            headerFail(msg, h, ParseErrc::BadNumber, "'%1' is not a number", 0, s);
        return nullptr;
    }
    NumResult r = parseU32(s, b->value);
    const bool expires = h.kind == HeaderKind::Expires || h.kind == HeaderKind::MinExpires;
    if (r == NumResult::TooLarge && expires) {
        // RFC 4475 3.1.2.4: an oversized expiry may be treated as a default; saturate and let
        // the registrar clamp it to its maximum.
        b->value = 0xffffffffu;
    } else if (r == NumResult::TooLarge) {
        headerFail(msg, h, ParseErrc::NumberTooLarge, "%1 exceeds 2**32-1", 0, s);
        return nullptr;
    }
    if (h.kind == HeaderKind::MaxForwards && b->value > 255) {
        headerFail(msg, h, ParseErrc::NumberTooLarge, "%1 exceeds 255", 0, s);
        return nullptr;
    }
    h.body = b;
    h.state = BodyState::Parsed;
    return b;
}

namespace {
const NumberBody* firstNumber(SipMsg& msg, HeaderKind k) {
    HeaderField* h = findHeader(msg, k);
    return h ? parseNumberHeader(msg, *h) : nullptr;
}
}  // namespace

const NumberBody* getMaxForwards(SipMsg& msg) {
    return firstNumber(msg, HeaderKind::MaxForwards);
}
const NumberBody* getContentLength(SipMsg& msg) {
    return firstNumber(msg, HeaderKind::ContentLength);
}
const NumberBody* getExpires(SipMsg& msg) {
    return firstNumber(msg, HeaderKind::Expires);
}

}  // namespace osprey::sip
