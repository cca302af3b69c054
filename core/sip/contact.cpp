// Contact parser (RFC 3261 §20.10, §10.2.1.1; RFC 5626 §4.1 +sip.instance / reg-id).
#include "core/sip/contact.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"

namespace osprey::sip {

using namespace lex;

namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 3261 §25.1)
bool parseQ(std::string_view v, uint16_t& out) {
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return false;
    unsigned q = static_cast<unsigned>(v[0] - '0') * 1000;
    if (v.size() > 1) {
        if (v[1] != '.' || v.size() > 5) return false;
        unsigned scale = 100;
        for (size_t i = 2; i < v.size(); ++i, scale /= 10) {
            if (!is(v[i], kDigit)) return false;
            q += static_cast<unsigned>(v[i] - '0') * scale;
        }
    }
    if (q > 1000) return false;
    out = static_cast<uint16_t>(q);
    return true;
}

}  // namespace

const ContactBody* parseContact(SipMsg& msg, HeaderField& h) {
    const ContactBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    ContactBody* body = msg.arena.make<ContactBody>();
    if (!body) {
        outOfMemory(msg, h);
        return nullptr;
    }
    if (s == "*") {
        body->star = true;
        h.body = body;
        h.state = BodyState::Parsed;
        return body;
    }
    ContactValue* last = nullptr;
    size_t p = 0;
    ParseError err;
    auto bad = [&err](ParseErrc c, const char* d, size_t at, std::string_view got) {
        err.code = c;
        err.detail = d;
        err.offset = static_cast<uint32_t>(at);
        err.got = got;
        return false;
    };
    for (;;) {
        ContactValue* cv = msg.arena.make<ContactValue>();
        if (!cv) {
            outOfMemory(msg, h);
            return nullptr;
        }
        const size_t start = skipLws(s, p);
        if (!parseNameAddr(s, p, cv->addr, err)) {
            headerFail(msg, h, err);
            return nullptr;
        }
        bool ok = scanParams(
            s, p, cv->addr.params, err,
            [&](std::string_view name, std::string_view value, bool hasValue, size_t at) {
                if (paramIs(name, "expires")) {
                    uint32_t e = 0;
                    NumResult r = hasValue ? parseU32(value, e) : NumResult::NotNumber;
                    if (r == NumResult::NotNumber)
                        return bad(ParseErrc::BadParam, "bad expires '%1'", at, value);
                    // RFC 3261 §10.3: a registrar clamps anyway; saturate beyond 32 bits
                    // (RFC 4475 3.1.2.4 allows treating it as a default).
                    cv->expires = r == NumResult::TooLarge ? 0xffffffffu : e;
                    cv->hasExpires = true;
                } else if (paramIs(name, "q")) {
                    if (!hasValue || !parseQ(value, cv->q))
                        return bad(ParseErrc::BadParam, "bad q-value '%1'", at, value);
                    cv->hasQ = true;
                } else if (paramIs(name, "+sip.instance")) {
                    cv->instance = value;
                } else if (paramIs(name, "reg-id")) {
                    if (!hasValue || parseU32(value, cv->regId) != NumResult::Ok)
                        return bad(ParseErrc::BadParam, "bad reg-id '%1'", at, value);
                    cv->hasRegId = true;
                }
                return true;
            });
        if (!ok) {
            headerFail(msg, h, err);
            return nullptr;
        }
        cv->addr.text = s.substr(start, p - start);
        (last ? last->next : body->first) = cv;
        last = cv;
        ++body->count;
        p = skipLws(s, p);
        if (p >= s.size()) break;
        if (s[p] != ',') {
            headerFail(msg, h, ParseErrc::BadValue, "unexpected '%1' after contact", p,
                       s.substr(p, 1));
            return nullptr;
        }
        p = skipLws(s, p + 1);
    }
    h.body = body;
    h.state = BodyState::Parsed;
    return body;
}

}  // namespace osprey::sip
