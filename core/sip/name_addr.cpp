// name-addr / addr-spec (RFC 3261 §20.10, §25.1). Rejects what RFC 4475 calls malformed:
// non-token display names (3.1.2.15), LWS inside <> (3.1.2.14), unclosed quotes (3.1.2.6),
// and a URI with '?' outside <> (3.1.2.13).
#include "core/sip/name_addr.h"

#include <cstring>

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

namespace {

bool fail(ParseError& err, ParseErrc c, const char* d, size_t at, std::string_view got = {}) {
    err.code = c;
    err.detail = d;
    err.offset = static_cast<uint32_t>(at);
    err.got = got;
    return false;
}

bool hasScheme(std::string_view uri) {
    if (uri.size() >= 4) {  // "sip:" in any case, the usual scheme, as one masked word
        uint32_t w;
        std::memcpy(&w, uri.data(), 4);
        if ((w | 0x00202020u) == 0x3a706973u) return true;  // "sip:" little-endian
    }
    size_t c = scanWhile(uri, 0, kScheme);
    return c > 0 && c < uri.size() && uri[c] == ':' && is(uri[0], kAlpha);
}

}  // namespace

bool parseNameAddr(std::string_view s, size_t& pos, NameAddr& out, ParseError& err) {
    const size_t n = s.size();
    size_t p = skipLws(s, pos);
    const size_t start = p;
    if (p >= n) return fail(err, ParseErrc::BadNameAddr, "empty address", p);
    if (s[p] == '"') {
        size_t q = scanQuoted(s, p);
        if (q == std::string_view::npos)
            return fail(err, ParseErrc::UnterminatedQuote, "display name quote not closed", p);
        out.displayName = s.substr(p, q - p);
        p = skipLws(s, q);
        if (p >= n || s[p] != '<')
            return fail(err, ParseErrc::BadNameAddr, "expected '<' after display name", p);
    } else if (s[p] != '<') {
        size_t t = scanWhile(s, p, kToken);
        if (t == p || t >= n || s[t] != ':') {
            // display-name = *(token LWS) before "<" (RFC 3261 §25.1; no LWS needed before
            // "<", RFC 4475 3.1.1.6)
            size_t nameEnd = p;
            for (size_t q = t;; q = scanWhile(s, p, kToken)) {  // the first token is scanned
                if (q == p) break;
                nameEnd = q;
                p = skipLws(s, q);
                if (p < n && s[p] == '<') break;
                if (p == q) break;  // a token not followed by LWS or '<'
            }
            if (p >= n || s[p] != '<') {
                if (nameEnd == start)
                    return fail(err, ParseErrc::BadNameAddr, "expected an address, got '%1'", p,
                                s.substr(p, 1));
                return fail(err, ParseErrc::BadDisplayName,
                            "display name '%1' is neither tokens nor a quoted string", start,
                            s.substr(start, (p < n ? p + 1 : n) - start));
            }
            out.displayName = s.substr(start, nameEnd - start);
        }
    }
    if (p < n && s[p] == '<') {
        const size_t us = p + 1;
        // One pass finds the '>' or, before it, an octet not allowed inside <>.
        const char* stop = findAngleEnd(s.data() + us, s.data() + n);
        const size_t ue = static_cast<size_t>(stop - s.data());
        if (ue < n && *stop != '>') {
            size_t i = ue;
            if (is(s[i], kLws)) return fail(err, ParseErrc::BadNameAddr, "whitespace inside <>", i);
            return fail(err, ParseErrc::BadNameAddr, "illegal character '%1' in <URI>", i,
                        s.substr(i, 1));
        }
        if (ue >= n) return fail(err, ParseErrc::BadNameAddr, "'<' without '>'", p);
        if (ue == us) return fail(err, ParseErrc::BadNameAddr, "empty URI in <>", p);
        out.uriText = s.substr(us, ue - us);
        out.angled = true;
        if (!hasScheme(out.uriText))
            return fail(err, ParseErrc::BadUri, "URI '%1' has no scheme", us, out.uriText);
        p = ue + 1;
    } else {
        // addr-spec: the URI ends at LWS, ';' (header parameters) or ',' (next value); one
        // with headers must be written in <> (RFC 3261 §20.10).
        const size_t us = p;
        size_t ue = us;
        while (ue < n && !is(s[ue], kSpecStop)) ++ue;
        if (ue < n) {
            char c = s[ue];
            if (c == '?')
                return fail(err, ParseErrc::BadNameAddr, "URI with '?' must be enclosed in <>", ue);
            if (!is(c, kLws) && c != ';' && c != ',')
                return fail(err, ParseErrc::BadNameAddr, "illegal character '%1' in URI", ue,
                            s.substr(ue, 1));
        }
        out.uriText = s.substr(us, ue - us);
        if (!hasScheme(out.uriText))
            return fail(err, ParseErrc::BadUri, "URI '%1' has no scheme", us, out.uriText);
        p = ue;
    }
    out.text = s.substr(start, p - start);
    pos = p;
    return true;
}

const SipUri* nameAddrUri(SipMsg& msg, NameAddr& na, const HeaderField* h) {
    switch (na.uriState) {
        case UriState::Sip:
            return na.uri;
        case UriState::Foreign:
        case UriState::Bad:
            return nullptr;
        case UriState::Unparsed:
            break;
    }
    SipUri* u = msg.arena.make<SipUri>();
    if (!u) {
        ParseError e;
        e.code = ParseErrc::OutOfMemory;
        msg.fail(e);
        return nullptr;
    }
    size_t where = 0;
    UriError r = parseUri(na.uriText, *u, &where);
    if (r == UriError::Ok) {
        na.uri = u;
        na.uriState = UriState::Sip;
        return u;
    }
    if (r == UriError::BadScheme) {  // an absoluteURI of another scheme: kept as text
        na.uriState = UriState::Foreign;
        return nullptr;
    }
    na.uriState = UriState::Bad;
    ParseError e;
    e.code = ParseErrc::BadUri;
    if (h) {
        e.kind = h->kind;
        e.header = h->name;
    }
    e.offset = msg.offsetOf(na.uriText) + static_cast<uint32_t>(where);
    e.detail = uriErrorText(r);
    e.got = na.uriText;
    msg.fail(e);
    return nullptr;
}

std::string_view displayNameText(const NameAddr& na) {
    std::string_view d = na.displayName;
    while (!d.empty() && is(d.back(), kLws)) d.remove_suffix(1);
    if (d.size() >= 2 && d.front() == '"' && d.back() == '"') d = d.substr(1, d.size() - 2);
    return d;
}

}  // namespace osprey::sip
