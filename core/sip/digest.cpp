// Credentials and challenges (RFC 3261 §25.1 credentials/challenge, RFC 7616): scheme, then
// comma-separated auth-params (LWS around '=' and ','). Only the first challenge of a
// WWW-Authenticate line with several is picked apart; the rest stays in params.
#include "core/sip/digest.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

namespace {

// False when the directive was already given (a known one: unknown auth-params may repeat).
bool pick(AuthBody& b, std::string_view name, std::string_view v) {
    struct Field {
        std::string_view name;
        std::string_view AuthBody::*field;
    };
    static constexpr Field kFields[] = {
        {"username", &AuthBody::username}, {"realm", &AuthBody::realm},
        {"nonce", &AuthBody::nonce},       {"uri", &AuthBody::uri},
        {"response", &AuthBody::response}, {"algorithm", &AuthBody::algorithm},
        {"cnonce", &AuthBody::cnonce},     {"opaque", &AuthBody::opaque},
        {"qop", &AuthBody::qop},           {"nc", &AuthBody::nc},
        {"stale", &AuthBody::stale},       {"domain", &AuthBody::domain},
        {"userhash", &AuthBody::userhash},
    };
    for (const Field& f : kFields) {
        if (equalsNoCase(name, f.name)) {
            if ((b.*(f.field)).data() != nullptr) return false;
            b.*(f.field) = v;
            return true;
        }
    }
    return true;
}

bool isValueChar(char c) {
    return !is(c, kLws | kCtl) && c != ',' && c != '"';
}

}  // namespace

const AuthBody* parseAuth(SipMsg& msg, HeaderField& h) {
    const AuthBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    AuthBody* b = msg.arena.make<AuthBody>();
    if (!b) {
        outOfMemory(msg, h);
        return nullptr;
    }
    size_t se = scanWhile(s, 0, kToken);
    if (se == 0) {
        headerFail(msg, h, ParseErrc::BadValue, "missing authentication scheme", 0);
        return nullptr;
    }
    b->scheme = s.substr(0, se);
    b->isDigest = equalsNoCase(b->scheme, "digest");
    size_t p = skipLws(s, se);
    if (p < s.size() && p == se) {
        headerFail(msg, h, ParseErrc::BadValue, "expected whitespace after scheme", p);
        return nullptr;
    }
    const size_t ps = p;
    size_t pe = p;
    bool first = true;
    while (p < s.size()) {
        const size_t ns = p;
        size_t ne = scanWhile(s, ns, kToken);
        size_t eq = skipLws(s, ne);
        if (ne == ns || eq >= s.size() || s[eq] != '=') {
            if (first && !b->isDigest) {  // token68 credentials (Basic, Bearer): keep raw
                pe = s.size();
                break;
            }
            if (!first && ne > ns) break;  // another challenge starts: leave it raw
            headerFail(msg, h, ParseErrc::BadParam, "expected name=value, got '%1'", ns,
                       s.substr(ns, 1));
            return nullptr;
        }
        size_t vs = skipLws(s, eq + 1);
        size_t ve;
        std::string_view v;
        if (vs < s.size() && s[vs] == '"') {
            ve = scanQuoted(s, vs);
            if (ve == std::string_view::npos) {
                headerFail(msg, h, ParseErrc::UnterminatedQuote, "quoted value of '%1' not closed",
                           vs, s.substr(ns, ne - ns));
                return nullptr;
            }
            v = s.substr(vs + 1, ve - vs - 2);
        } else {
            ve = vs;
            while (ve < s.size() && isValueChar(s[ve])) ++ve;
            if (ve == vs) {
                headerFail(msg, h, ParseErrc::BadParam, "'%1' has no value", ns,
                           s.substr(ns, ne - ns));
                return nullptr;
            }
            v = s.substr(vs, ve - vs);
        }
        if (!pick(*b, s.substr(ns, ne - ns), v) && b->isDigest) {
            headerFail(msg, h, ParseErrc::BadParam, "'%1' given twice", ns, s.substr(ns, ne - ns));
            return nullptr;
        }
        pe = ve;
        first = false;
        p = skipLws(s, ve);
        if (p >= s.size()) break;
        if (s[p] != ',') {
            headerFail(msg, h, ParseErrc::BadValue, "unexpected '%1' between auth-params", p,
                       s.substr(p, 1));
            return nullptr;
        }
        p = skipLws(s, p + 1);
        if (p >= s.size()) {  // RFC 3261 §25.1: every COMMA is followed by another auth-param
            headerFail(msg, h, ParseErrc::BadParam, "auth-param expected after ','", p);
            return nullptr;
        }
    }
    if (first && b->isDigest) {  // digest-response / digest-cln: at least one directive
        headerFail(msg, h, ParseErrc::BadParam, "Digest without parameters", p);
        return nullptr;
    }
    b->params = s.substr(ps, pe - ps);
    h.body = b;
    h.state = BodyState::Parsed;
    return b;
}

}  // namespace osprey::sip
