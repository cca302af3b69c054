// Text-valued headers: Call-ID (RFC 3261 §20.8, callid = word ["@" word]), Date (§20.17,
// rfc1123-date in GMT only, RFC 4475 3.1.2.12), and any other header kept raw, which must
// hold no control octets outside line folding (§25.1 TEXT-UTF8 / header-value).
#include "core/sip/text_header.h"

#include <cstring>

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

namespace {

bool checkCallId(SipMsg& msg, HeaderField& h) {
    const std::string_view s = h.value;
    size_t e = scanWord(s, 0);
    if (e == 0) return headerFail(msg, h, ParseErrc::BadValue, "empty or malformed Call-ID", 0);
    if (e < s.size() && s[e] == '@') {
        size_t e2 = scanWord(s, e + 1);
        if (e2 == e + 1)
            return headerFail(msg, h, ParseErrc::BadValue, "nothing after '@' in Call-ID", e + 1);
        e = e2;
    }
    if (e != s.size()) {
        size_t ws = skipLws(s, e);
        if (ws < s.size() && s[ws] == ',')
            return headerFail(msg, h, ParseErrc::MultipleValues, "more than one Call-ID", ws);
        return headerFail(msg, h, ParseErrc::BadValue, "illegal character '%1' in Call-ID", e,
                          s.substr(e, 1));
    }
    return true;
}

bool digits(std::string_view s, size_t at, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (!is(s[at + i], kDigit)) return false;
    return true;
}

// rfc1123-date = wkday "," SP date1 SP time SP "GMT"   e.g. "Sat, 13 Nov 2010 23:29:00 GMT"
bool checkDate(SipMsg& msg, HeaderField& h) {
    const std::string_view s = h.value;
    static const char* const kDays = "MonTueWedThuFriSatSun";
    static const char* const kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
    auto in = [](const char* list, std::string_view w) {
        for (const char* p = list; *p; p += 3)
            if (std::memcmp(p, w.data(), 3) == 0) return true;
        return false;
    };
    bool ok = s.size() == 29 && in(kDays, s.substr(0, 3)) && s[3] == ',' && s[4] == ' ' &&
              digits(s, 5, 2) && s[7] == ' ' && in(kMonths, s.substr(8, 3)) && s[11] == ' ' &&
              digits(s, 12, 4) && s[16] == ' ' && digits(s, 17, 2) && s[19] == ':' &&
              digits(s, 20, 2) && s[22] == ':' && digits(s, 23, 2) && s[25] == ' ';
    if (!ok) return headerFail(msg, h, ParseErrc::BadValue, "malformed date '%1'", 0, s);
    if (s.substr(26) != "GMT")
        return headerFail(msg, h, ParseErrc::BadValue, "time zone '%1' is not GMT", 26,
                          s.substr(26));
    return true;
}

bool checkText(SipMsg& msg, HeaderField& h) {
    const std::string_view s = h.value;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (!is(c, kCtl)) continue;
        if (c == '\r' || c == '\n') {
            size_t j = skipLws(s, i);
            if (j > i) {
                i = j - 1;
                continue;
            }
        }
        return headerFail(msg, h, ParseErrc::BadLineEnding, "control character in value", i);
    }
    return true;
}

}  // namespace

bool parseTextHeader(SipMsg& msg, HeaderField& h) {
    if (h.state != BodyState::Unparsed) return h.state == BodyState::Parsed;
    bool ok;
    switch (h.kind) {
        case HeaderKind::CallId:
            ok = checkCallId(msg, h);
            break;
        case HeaderKind::Date:
            ok = checkDate(msg, h);
            break;
        default:
            ok = checkText(msg, h);
            break;
    }
    if (ok) h.state = BodyState::Parsed;
    return ok;
}

std::string_view getCallId(SipMsg& msg) {
    HeaderField* h = findHeader(msg, HeaderKind::CallId);
    return (h && parseTextHeader(msg, *h)) ? h->value : std::string_view{};
}

std::string_view getUserAgent(SipMsg& msg) {
    HeaderField* h = findHeader(msg, HeaderKind::UserAgent);
    return (h && parseTextHeader(msg, *h)) ? h->value : std::string_view{};
}

}  // namespace osprey::sip
