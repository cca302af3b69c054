// Parser for SIP, SIPS (RFC 3261 §19.1, grammar §25.1) and tel (RFC 3966 §3) URIs. Works in
// place: every field of SipUri is a view into the parsed text; nothing is allocated.
#include "core/sip/uri.h"

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
bool isHostname(string_view h) {
    if (h.empty()) return false;
    if (h.back() == '.') h.remove_suffix(1);
    if (h.empty()) return false;
    size_t labelStart = 0;
    for (size_t i = 0; i <= h.size(); ++i) {
        if (i < h.size() && h[i] != '.') {
            char c = h[i];
            if (!is(c, kAlnum) && c != '-') return false;
            continue;
        }
        if (i == labelStart) return false;  // empty label
        if (h[labelStart] == '-' || h[i - 1] == '-') return false;
        if (i == h.size() && !is(h[labelStart], kAlpha)) return false;  // toplabel
        labelStart = i + 1;
    }
    return true;
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

// uri-parameters = *( ";" uri-parameter ), RFC 3261 §19.1.1 / §25.1. `base` is the offset of
// params within the URI text, for error positions.
UriError parseSipParams(string_view params, size_t base, SipUri& out, const ErrorSink& err) {
    constexpr uint16_t kParamChar = kUnreserved | kParamUnres;
    ItemIter it(params, ';');
    string_view name, value;
    bool hasValue = false;
    while (it.next(name, value, hasValue)) {
        size_t nameOff = base + static_cast<size_t>(name.data() - params.data());
        if (name.empty()) return err.fail(UriError::BadParam, nameOff);
        if (size_t bad = firstInvalid(name, kParamChar); bad != npos) {
            return err.fail(UriError::BadParam, nameOff + bad);
        }
        size_t valueOff = nameOff + name.size() + (hasValue ? 1 : 0);
        if (hasValue) {
            if (value.empty()) return err.fail(UriError::BadParam, valueOff);
            if (size_t bad = firstInvalid(value, kParamChar); bad != npos) {
                return err.fail(UriError::BadParam, valueOff + bad);
            }
        }
        // The first occurrence of a well-known parameter is the one that counts.
        if (nameIs(name, "transport")) {
            if (!isToken(value)) return err.fail(UriError::BadParam, valueOff);
            if (out.transport.empty()) out.transport = value;
        } else if (nameIs(name, "user")) {
            if (!isToken(value)) return err.fail(UriError::BadParam, valueOff);
            if (out.userParam.empty()) out.userParam = value;
        } else if (nameIs(name, "method")) {
            if (!isToken(value)) return err.fail(UriError::BadParam, valueOff);
            if (out.method.empty()) out.method = value;
        } else if (nameIs(name, "ttl")) {
            if (!isTtl(value)) return err.fail(UriError::BadParam, valueOff);
            if (out.ttl.empty()) out.ttl = value;
        } else if (nameIs(name, "maddr")) {
            if (classifyHost(value) == HostKind::None) return err.fail(UriError::BadParam, valueOff);
            if (out.maddr.empty()) out.maddr = value;
        } else if (nameIs(name, "lr")) {
            out.lr = true;
        }
    }
    return UriError::Ok;
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue (RFC 3261 §19.1.1).
UriError checkSipHeaders(string_view headers, size_t base, const ErrorSink& err) {
    constexpr uint16_t kHnvChar = kUnreserved | kHnvUnres;
    ItemIter it(headers, '&');
    string_view name, value;
    bool hasValue = false;
    while (it.next(name, value, hasValue)) {
        size_t nameOff = base + static_cast<size_t>(name.data() - headers.data());
        if (name.empty()) return err.fail(UriError::BadHeaders, nameOff);
        if (size_t bad = firstInvalid(name, kHnvChar); bad != npos) {
            return err.fail(UriError::BadHeaders, nameOff + bad);
        }
        if (!hasValue) return err.fail(UriError::BadHeaders, nameOff + name.size());
        if (size_t bad = firstInvalid(value, kHnvChar); bad != npos) {
            return err.fail(UriError::BadHeaders, nameOff + name.size() + 1 + bad);
        }
    }
    return UriError::Ok;
}

UriError parseSip(string_view text, size_t start, SipUri& out, const ErrorSink& err) {
    string_view rest = text.substr(start);
    size_t off = start;  // offset of rest within text

    // userinfo ends at '@'. User and password cannot hold a literal '@', but the user part may
    // hold ';' and '?' (RFC 3261 §25.1 user-unreserved), so look for '@' before anything that
    // cannot be userinfo rather than splitting at the first ';'.
    size_t at = npos;
    for (size_t k = 0; k < rest.size(); ++k) {
        char c = rest[k];
        if (c == '@') {
            at = k;
            break;
        }
        if (!is(c, kUnreserved | kUserUnres | kPassExtra) && c != '%' && c != ':') break;
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
    size_t hostEnd;
    if (!rest.empty() && rest.front() == '[') {
        hostEnd = rest.find(']');
        hostEnd = hostEnd == npos ? rest.size() : hostEnd + 1;
    } else {
        hostEnd = 0;
        while (hostEnd < rest.size() && rest[hostEnd] != ':' && rest[hostEnd] != ';' &&
               rest[hostEnd] != '?') {
            ++hostEnd;
        }
    }
    out.host = rest.substr(0, hostEnd);
    out.hostKind = classifyHost(out.host);
    if (out.hostKind == HostKind::None) {
        size_t bad = 0;
        if (!out.host.empty() && out.host.front() != '[') {
            while (bad < out.host.size() && (is(out.host[bad], kAlnum) || out.host[bad] == '-' ||
                                             out.host[bad] == '.')) {
                ++bad;
            }
            if (bad == out.host.size()) bad = 0;  // legal characters, bad shape
        }
        return err.fail(UriError::BadHost, off + bad);
    }
    rest.remove_prefix(hostEnd);
    off += hostEnd;

    if (!rest.empty() && rest.front() == ':') {
        size_t k = 1;
        uint32_t port = 0;
        while (k < rest.size() && is(rest[k], kDigit)) {
            port = port * 10 + static_cast<uint32_t>(rest[k] - '0');
            if (port > 65535) return err.fail(UriError::BadPort, off + 1);
            ++k;
        }
        if (k == 1 || port == 0) return err.fail(UriError::BadPort, off + 1);
        out.port = static_cast<uint16_t>(port);
        out.hasPort = true;
        rest.remove_prefix(k);
        off += k;
    }

    if (!rest.empty() && rest.front() == ';') {
        size_t q = rest.find('?');
        out.params = rest.substr(1, q == npos ? npos : q - 1);
        if (out.params.empty()) return err.fail(UriError::BadParam, off + 1);
        if (UriError e = parseSipParams(out.params, off + 1, out, err); e != UriError::Ok) return e;
        rest.remove_prefix(1 + out.params.size());
        off += 1 + out.params.size();
    }

    if (!rest.empty() && rest.front() == '?') {
        out.headers = rest.substr(1);
        if (out.headers.empty()) return err.fail(UriError::BadHeaders, off + 1);
        return checkSipHeaders(out.headers, off + 1, err);
    }

    if (!rest.empty()) {
        // Whatever follows the host is not a port, parameter or header.
        return err.fail(rest.front() == ':' ? UriError::BadPort : UriError::BadHost, off);
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
            if (!is(name[k], kAlnum) && name[k] != '-') return err.fail(UriError::BadParam, nameOff + k);
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
        case UriError::Ok: return "ok";
        case UriError::Empty: return "empty URI";
        case UriError::BadScheme: return "unsupported URI scheme (not sip, sips or tel)";
        case UriError::BadUser: return "bad user or password in URI";
        case UriError::BadHost: return "bad host in URI";
        case UriError::BadPort: return "bad port in URI";
        case UriError::BadParam: return "bad URI parameter";
        case UriError::BadHeaders: return "bad URI headers";
        case UriError::BadTelNumber: return "bad tel URI number";
    }
    return "unknown URI error";
}

UriError parseUri(string_view text, SipUri& out, size_t* where) {
    out = SipUri{};
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
