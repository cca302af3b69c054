// Parser for SIP, SIPS (RFC 3261 §19.1, grammar §25.1) and tel (RFC 3966 §3) URIs. Works in
// place: every field of SipUri is a view into the parsed text; nothing is allocated.
#include "core/sip/uri.h"

#include <cstring>

#include "core/sip/uri_chars.h"

namespace osprey::sip {

using namespace uri_chars;
using std::string_view;
constexpr size_t npos = string_view::npos;

namespace {

// Records an error at `off` (an offset into the URI text) and returns it.
struct ErrorSink {
    size_t* where;
    UriError fail(UriError e, size_t off) const {
        if (where != nullptr) *where = off;
        return e;
    }
};

bool eqNoCase(string_view a, string_view literal) {
    if (a.size() != literal.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(literal[i])) return false;
    }
    return true;
}

// A name as written may escape unreserved characters (";%6C%72" is ";lr", RFC 3261 §19.1.4).
bool nameIs(string_view name, string_view literal) {
    if (name.find('%') == npos) return eqNoCase(name, literal);
    return equalEscaped(name, literal, false);
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanum with inner '-', and
// the top label starts with a letter (which is what tells a name from an IPv4 address).
// One pass over h, which holds only alphanum, '-' and '.' (the caller checked).
bool isHostname(string_view h) {
    size_t n = h.size();
    if (n > 0 && h[n - 1] == '.') --n;
    if (n == 0) return false;
    size_t labelStart = 0;
    for (size_t i = 0; i < n; ++i) {
        if (h[i] != '.') continue;
        if (i == labelStart || h[labelStart] == '-' || h[i - 1] == '-') return false;
        labelStart = i + 1;
    }
    if (labelStart == n || h[labelStart] == '-' || h[n - 1] == '-') return false;
    return is(h[labelStart], kAlpha);  // toplabel
}

HostKind classifyHost(string_view h) {
    if (h.empty()) return HostKind::None;
    if (h.front() == '[') {
        uint8_t a6[16];
        if (h.size() < 3 || h.back() != ']' || !parseIpv6(h.substr(1, h.size() - 2), a6)) {
            return HostKind::None;
        }
        return HostKind::Ipv6;
    }
    for (char c : h) {
        if (!is(c, kAlnum) && c != '-' && c != '.') return HostKind::None;
    }
    if (is(h.back(), kDigit)) {
        uint8_t a4[4];
        if (parseIpv4(h, a4)) return HostKind::Ipv4;
    }
    return isHostname(h) ? HostKind::Name : HostKind::None;
}

// ttl = 1*3DIGIT ; 0 to 255
bool isTtl(string_view v) {
    if (v.empty() || v.size() > 3) return false;
    unsigned n = 0;
    for (char c : v) {
        if (!is(c, kDigit)) return false;
        n = n * 10 + static_cast<unsigned>(c - '0');
    }
    return n <= 255;
}

// Scans 1*(chars in mask / escaped) from i; returns the end. *bad gets the offset of a broken
// escape ('%' not followed by two hex digits), else stays npos. *escaped tells if any was seen.
inline size_t scanChars(string_view s, size_t i, uint16_t mask, size_t* bad, bool* escaped) {
    const size_t n = s.size();
    while (i < n) {
        char c = s[i];
        if (is(c, mask)) {
            ++i;
        } else if (c == '%') {
            if (i + 2 < n && is(s[i + 1], kHex) && is(s[i + 2], kHex)) {
                i += 3;
                *escaped = true;
            } else {
                *bad = i;
                return i;
            }
        } else {
            break;
        }
    }
    return i;
}

enum class KnownParam : uint8_t { None, Transport, User, Method, Ttl, Maddr, Lr };

// Well-known parameter names, by length first (names are case-insensitive).
KnownParam knownParam(string_view name, bool escaped) {
    if (escaped) {
        if (nameIs(name, "transport")) return KnownParam::Transport;
        if (nameIs(name, "user")) return KnownParam::User;
        if (nameIs(name, "method")) return KnownParam::Method;
        if (nameIs(name, "ttl")) return KnownParam::Ttl;
        if (nameIs(name, "maddr")) return KnownParam::Maddr;
        if (nameIs(name, "lr")) return KnownParam::Lr;
        return KnownParam::None;
    }
    switch (name.size()) {
        case 2:
            return eqNoCase(name, "lr") ? KnownParam::Lr : KnownParam::None;
        case 3:
            return eqNoCase(name, "ttl") ? KnownParam::Ttl : KnownParam::None;
        case 4:
            return eqNoCase(name, "user") ? KnownParam::User : KnownParam::None;
        case 5:
            return eqNoCase(name, "maddr") ? KnownParam::Maddr : KnownParam::None;
        case 6:
            return eqNoCase(name, "method") ? KnownParam::Method : KnownParam::None;
        case 9:
            return eqNoCase(name, "transport") ? KnownParam::Transport : KnownParam::None;
        default:
            return KnownParam::None;
    }
}

// uri-parameters = *( ";" uri-parameter ), RFC 3261 §19.1.1 / §25.1. Parses from rest[0] == ';'
// up to '?' or the end; returns the length consumed. `base` is rest's offset in the URI text.
UriError parseSipParams(string_view rest, size_t base, SipUri& out, const ErrorSink& err,
                        size_t* consumed) {
    constexpr uint16_t kParamChar = kUnreserved | kParamUnres;
    size_t i = 1;
    const size_t n = rest.size();
    for (;;) {
        size_t bad = npos;
        bool escaped = false;
        size_t ns = i;
        i = scanChars(rest, i, kParamChar, &bad, &escaped);
        if (bad != npos) return err.fail(UriError::BadParam, base + bad);
        if (i == ns) return err.fail(UriError::BadParam, base + i);  // empty name
        string_view name = rest.substr(ns, i - ns);
        string_view value;
        bool hasValue = i < n && rest[i] == '=';
        size_t vs = i + (hasValue ? 1 : 0);
        if (hasValue) {
            bool valueEscaped = false;
            i = scanChars(rest, vs, kParamChar, &bad, &valueEscaped);
            if (bad != npos) return err.fail(UriError::BadParam, base + bad);
            if (i == vs) return err.fail(UriError::BadParam, base + i);  // pvalue = 1*paramchar
            value = rest.substr(vs, i - vs);
        }
        if (i < n && rest[i] != ';' && rest[i] != '?')
            return err.fail(UriError::BadParam, base + i);
        // The first occurrence of a well-known parameter is the one that counts.
        switch (knownParam(name, escaped)) {
            case KnownParam::None:
                break;
            case KnownParam::Transport:
                if (!isToken(value)) return err.fail(UriError::BadParam, base + vs);
                if (out.transport.empty()) out.transport = value;
                break;
            case KnownParam::User:
                if (!isToken(value)) return err.fail(UriError::BadParam, base + vs);
                if (out.userParam.empty()) out.userParam = value;
                break;
            case KnownParam::Method:
                if (!isToken(value)) return err.fail(UriError::BadParam, base + vs);
                if (out.method.empty()) out.method = value;
                break;
            case KnownParam::Ttl:
                if (!isTtl(value)) return err.fail(UriError::BadParam, base + vs);
                if (out.ttl.empty()) out.ttl = value;
                break;
            case KnownParam::Maddr:
                if (classifyHost(value) == HostKind::None) {
                    return err.fail(UriError::BadParam, base + vs);
                }
                if (out.maddr.empty()) out.maddr = value;
                break;
            case KnownParam::Lr:
                out.lr = true;
                break;
        }
        if (i == n || rest[i] == '?') break;
        ++i;  // ';'
    }
    out.params = rest.substr(1, i - 1);
    *consumed = i;
    return UriError::Ok;
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue (RFC 3261 §19.1.1). Parses
// rest from the '?' to the end.
UriError parseSipHeaders(string_view rest, size_t base, SipUri& out, const ErrorSink& err) {
    constexpr uint16_t kHnvChar = kUnreserved | kHnvUnres;
    size_t i = 1;
    const size_t n = rest.size();
    for (;;) {
        size_t bad = npos;
        bool escaped = false;
        size_t ns = i;
        i = scanChars(rest, i, kHnvChar, &bad, &escaped);
        if (bad != npos) return err.fail(UriError::BadHeaders, base + bad);
        if (i == ns || i == n || rest[i] != '=') return err.fail(UriError::BadHeaders, base + i);
        i = scanChars(rest, i + 1, kHnvChar, &bad, &escaped);  // hvalue may be empty
        if (bad != npos) return err.fail(UriError::BadHeaders, base + bad);
        if (i == n) break;
        if (rest[i] != '&') return err.fail(UriError::BadHeaders, base + i);
        ++i;
    }
    out.headers = rest.substr(1);
    return UriError::Ok;
}

UriError parseSip(string_view text, size_t start, SipUri& out, const ErrorSink& err) {
    string_view rest = text.substr(start);
    size_t off = start;  // offset of rest within text
    const size_t n = rest.size();

    // userinfo ends at '@'. User and password cannot hold a literal '@', but the user part may
    // hold ';' and '?' (RFC 3261 §25.1 user-unreserved), so look for '@' before anything that
    // cannot be userinfo rather than splitting at the first ';'.
    size_t at = npos;
    for (size_t k = 0; k < n; ++k) {
        char c = rest[k];
        if (is(c, kUnreserved | kUserUnres | kPassExtra)) continue;
        if (c == '@') at = k;
        if (c != '%' && c != ':') break;
    }
    if (at != npos) {
        string_view userinfo = rest.substr(0, at);
        size_t colon = userinfo.find(':');
        out.user = userinfo.substr(0, colon);
        if (out.user.empty()) return err.fail(UriError::BadUser, off);
        if (size_t bad = firstInvalid(out.user, kUnreserved | kUserUnres); bad != npos) {
            return err.fail(UriError::BadUser, off + bad);
        }
        if (colon != npos) {
            out.hasPassword = true;
            out.password = userinfo.substr(colon + 1);
            if (size_t bad = firstInvalid(out.password, kUnreserved | kPassExtra); bad != npos) {
                return err.fail(UriError::BadUser, off + colon + 1 + bad);
            }
        }
        rest.remove_prefix(at + 1);
        off += at + 1;
    }

    // hostport = host [ ":" port ]
    size_t i = 0;
    const size_t m = rest.size();
    if (m > 0 && rest[0] == '[') {
        while (i < m && rest[i] != ']') ++i;
        if (i == m) return err.fail(UriError::BadHost, off);
        ++i;
        out.host = rest.substr(0, i);
        uint8_t a6[16];
        if (i < 3 || !parseIpv6(out.host.substr(1, i - 2), a6)) {
            return err.fail(UriError::BadHost, off);
        }
        out.hostKind = HostKind::Ipv6;
    } else {
        bool digitsAndDots = true;
        while (i < m) {
            char c = rest[i];
            if (is(c, kAlpha) || c == '-') {
                digitsAndDots = false;
            } else if (!is(c, kDigit) && c != '.') {
                break;
            }
            ++i;
        }
        out.host = rest.substr(0, i);
        if (i < m && rest[i] != ':' && rest[i] != ';' && rest[i] != '?') {
            return err.fail(UriError::BadHost, off + i);
        }
        uint8_t a4[4];
        if (i > 0 && digitsAndDots && parseIpv4(out.host, a4)) {
            out.hostKind = HostKind::Ipv4;
        } else if (isHostname(out.host)) {
            out.hostKind = HostKind::Name;
        } else {
            return err.fail(UriError::BadHost, off);  // legal characters, bad shape
        }
    }

    if (i < m && rest[i] == ':') {
        size_t k = i + 1;
        uint32_t port = 0;
        while (k < m && is(rest[k], kDigit)) {
            port = port * 10 + static_cast<uint32_t>(rest[k] - '0');
            if (port > 65535) return err.fail(UriError::BadPort, off + i + 1);
            ++k;
        }
        if (k == i + 1 || port == 0) return err.fail(UriError::BadPort, off + i + 1);
        out.port = static_cast<uint16_t>(port);
        out.hasPort = true;
        i = k;
    }

    if (i < m && rest[i] == ';') {
        size_t used = 0;
        UriError e = parseSipParams(rest.substr(i), off + i, out, err, &used);
        if (e != UriError::Ok) return e;
        i += used;
    }

    if (i < m && rest[i] == '?') return parseSipHeaders(rest.substr(i), off + i, out, err);

    if (i < m) {
        // Whatever follows the host is not a port, parameter or header.
        return err.fail(rest[i] == ':' ? UriError::BadPort : UriError::BadHost, off + i);
    }
    return UriError::Ok;
}

// telephone-subscriber = global-number / local-number (RFC 3966 §3). A local number without
// phone-context is accepted: the RFC requires it, but rejecting such URIs from real phones
// would only break calls a proxy merely passes on.
UriError parseTel(string_view text, size_t start, SipUri& out, const ErrorSink& err) {
    string_view rest = text.substr(start);
    size_t semi = rest.find(';');
    out.telNumber = rest.substr(0, semi);
    string_view num = out.telNumber;
    if (num.empty()) return err.fail(UriError::BadTelNumber, start);
    bool global = num.front() == '+';
    bool seenDigit = false;
    for (size_t i = global ? 1 : 0; i < num.size(); ++i) {
        char c = num[i];
        bool ok = global ? is(c, kDigit) : (is(c, kHex) || c == '*' || c == '#');
        if (ok) {
            seenDigit = true;
        } else if (!is(c, kVisualSep)) {
            return err.fail(UriError::BadTelNumber, start + i);
        }
    }
    if (!seenDigit) return err.fail(UriError::BadTelNumber, start);
    if (semi == npos) return UriError::Ok;

    out.params = rest.substr(semi + 1);
    size_t base = start + semi + 1;
    if (out.params.empty()) return err.fail(UriError::BadParam, base);
    ItemIter it(out.params, ';');
    string_view name, value;
    bool hasValue = false;
    while (it.next(name, value, hasValue)) {
        size_t nameOff = base + static_cast<size_t>(name.data() - out.params.data());
        // pname = 1*( alphanum / "-" ); pvalue = 1*paramchar (isub = 1*uric, wider)
        if (name.empty()) return err.fail(UriError::BadParam, nameOff);
        for (size_t k = 0; k < name.size(); ++k) {
            if (!is(name[k], kAlnum) && name[k] != '-')
                return err.fail(UriError::BadParam, nameOff + k);
        }
        if (!hasValue) continue;
        size_t valueOff = nameOff + name.size() + 1;
        uint16_t allowed = kUnreserved | kParamUnres;
        if (eqNoCase(name, "isub")) allowed |= kReserved;
        if (value.empty()) return err.fail(UriError::BadParam, valueOff);
        if (size_t bad = firstInvalid(value, allowed); bad != npos) {
            return err.fail(UriError::BadParam, valueOff + bad);
        }
    }
    return UriError::Ok;
}

}  // namespace

const char* uriErrorText(UriError e) {
    switch (e) {
        case UriError::Ok:
            return "ok";
        case UriError::Empty:
            return "empty URI";
        case UriError::BadScheme:
            return "unsupported URI scheme (not sip, sips or tel)";
        case UriError::BadUser:
            return "bad user or password in URI";
        case UriError::BadHost:
            return "bad host in URI";
        case UriError::BadPort:
            return "bad port in URI";
        case UriError::BadParam:
            return "bad URI parameter";
        case UriError::BadHeaders:
            return "bad URI headers";
        case UriError::BadTelNumber:
            return "bad tel URI number";
    }
    return "unknown URI error";
}

UriError parseUri(string_view text, SipUri& out, size_t* where) {
    // Not `out = SipUri{}`: GCC turns that into `rep stos`, a third of the time of a short URI.
    static const SipUri kEmpty{};
    std::memcpy(static_cast<void*>(&out), &kEmpty, sizeof out);
    out.text = text;
    ErrorSink err{where};
    if (text.empty()) return err.fail(UriError::Empty, 0);
    size_t colon = text.find(':');
    if (colon == npos) return err.fail(UriError::BadScheme, 0);
    string_view scheme = text.substr(0, colon);
    if (eqNoCase(scheme, "sip")) {
        out.scheme = UriScheme::Sip;
    } else if (eqNoCase(scheme, "sips")) {
        out.scheme = UriScheme::Sips;
    } else if (eqNoCase(scheme, "tel")) {
        out.scheme = UriScheme::Tel;
        return parseTel(text, colon + 1, out, err);
    } else {
        return err.fail(UriError::BadScheme, 0);
    }
    return parseSip(text, colon + 1, out, err);
}

string_view uriWithoutHeaders(const SipUri& uri) {
    if (uri.headers.empty()) return uri.text;
    // headers is a view into text just after the '?'.
    return uri.text.substr(0, static_cast<size_t>(uri.headers.data() - uri.text.data()) - 1);
}

bool findUriParam(string_view params, string_view name, string_view* value) {
    ItemIter it(params, ';');
    string_view n, v;
    bool hasValue = false;
    while (it.next(n, v, hasValue)) {
        if (n.size() >= name.size() && equalEscaped(n, name, false)) {
            if (value != nullptr) *value = v;
            return true;
        }
    }
    return false;
}

}  // namespace osprey::sip
