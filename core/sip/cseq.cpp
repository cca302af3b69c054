// CSeq parser (RFC 3261 §20.16): 1*DIGIT LWS Method; the number must fit 32 bits
// (RFC 4475 3.1.2.4).
#include "core/sip/cseq.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

const CSeqBody* parseCSeq(SipMsg& msg, HeaderField& h) {
    const CSeqBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    // The digits are scanned and converted in one pass.
    size_t de = 0;
    uint64_t num = 0;
    for (; de < s.size() && is(s[de], kDigit); ++de) {
        num = num * 10 + static_cast<unsigned>(s[de] - '0');
        if (num > 0xffffffffu) num = uint64_t{0xffffffffu} + 1;  // sticks: too large
    }
    CSeqBody* b = msg.arena.make<CSeqBody>();
    if (!b) {
        outOfMemory(msg, h);
        return nullptr;
    }
    if (de == 0) {
        headerFail(msg, h, ParseErrc::BadNumber, "sequence number '%1' is not a number", 0,
                   s.substr(0, s.find(' ')));
        return nullptr;
    }
    if (num > 0xffffffffu) {
        headerFail(msg, h, ParseErrc::NumberTooLarge, "sequence number %1 exceeds 2**32-1", 0,
                   s.substr(0, de));
        return nullptr;
    }
    b->number = static_cast<uint32_t>(num);
    size_t ms = skipLws(s, de);
    if (ms == de) {
        headerFail(msg, h, ParseErrc::BadValue, "expected whitespace and a method after the number",
                   de, s.substr(de, 1));
        return nullptr;
    }
    size_t me = scanWhile(s, ms, kToken);
    if (me == ms || me != s.size()) {
        headerFail(msg, h, ParseErrc::BadValue, "malformed method '%1'", ms, s.substr(ms));
        return nullptr;
    }
    b->methodText = s.substr(ms, me - ms);
    b->method = methodFromText(b->methodText);
    h.body = b;
    h.state = BodyState::Parsed;
    return b;
}

const CSeqBody* getCSeq(SipMsg& msg) {
    HeaderField* h = findHeader(msg, HeaderKind::CSeq);
    return h ? parseCSeq(msg, *h) : nullptr;
}

}  // namespace osprey::sip
