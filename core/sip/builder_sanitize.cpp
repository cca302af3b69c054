// What the builders refuse to pass on (RFC 4475 §3.1.2) and how they repair it.
#include "core/sip/builder_sanitize.h"

#include <cstdint>
#include <cstring>

#include "core/sip/uri.h"
#include "core/sip/uri_chars.h"

namespace osprey::sip {

using namespace uri_chars;

namespace {

bool isLws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// quoted-pair may escape any octet but CR and LF (RFC 3261 §25.1).
bool needsBackslash(char c) {
    auto u = static_cast<unsigned char>(c);
    return c == '"' || c == '\\' || u < 0x20 || u == 0x7f;
}

}  // namespace

bool isHeaderName(std::string_view name) {
    return isToken(name);
}

bool isHeaderValue(std::string_view value) {
    // Eight octets at a time: the three refused ones (CR, LF, NUL) are all below 0x0E, and
    // "some byte below 0x0E" has a cheap word test; only then look closer.
    const char* p = value.data();
    size_t n = value.size();
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if (((w - kOnes * 0x0E) & ~w & kHigh) != 0) break;
        p += 8;
        n -= 8;
    }
    for (size_t i = 0; i < n; ++i) {
        char c = p[i];
        if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
}

std::string_view cleanRequestUri(std::string_view uri) {
    while (!uri.empty() && (uri.front() == ' ' || uri.front() == '\t')) uri.remove_prefix(1);
    while (!uri.empty() && (uri.back() == ' ' || uri.back() == '\t')) uri.remove_suffix(1);
    if (uri.size() >= 2 && uri.front() == '<' && uri.back() == '>') {
        uri = uri.substr(1, uri.size() - 2);
    }
    if (uri.find('?') == std::string_view::npos) return uri;
    SipUri parsed;
    if (parseUri(uri, parsed) != UriError::Ok) return uri;  // foreign or broken: not ours to cut
    return uriWithoutHeaders(parsed);
}

DisplayNameCheck checkDisplayName(std::string_view value, size_t* start, size_t* end) {
    if (value.empty() || value.front() == '<') return DisplayNameCheck::Fine;  // the usual case
    // Find the '<' that opens the name-addr, outside any quoted string.
    size_t lt = std::string_view::npos;
    bool inQuote = false;
    for (size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (inQuote) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inQuote = false;
            }
        } else if (c == '"') {
            inQuote = true;
        } else if (c == '<') {
            lt = i;
            break;
        }
    }
    if (inQuote) return DisplayNameCheck::Bad;
    if (lt == std::string_view::npos) return DisplayNameCheck::Fine;  // addr-spec: no name
    size_t b = 0, e = lt;
    while (b < e && isLws(value[b])) ++b;
    while (e > b && isLws(value[e - 1])) --e;
    if (b == e) return DisplayNameCheck::Fine;
    std::string_view dn = value.substr(b, e - b);
    bool fine = true;
    if (dn.front() == '"') {
        // One quoted string and nothing else.
        size_t i = 1;
        while (i < dn.size() && dn[i] != '"') i += (dn[i] == '\\') ? 2 : 1;
        fine = i == dn.size() - 1;
    } else {
        for (char c : dn) {
            if (!is(c, kToken) && !isLws(c)) {
                fine = false;
                break;
            }
        }
    }
    if (fine) return DisplayNameCheck::Fine;
    *start = b;
    *end = e;
    return DisplayNameCheck::Repair;
}

size_t quotedDisplayNameSize(std::string_view dn) {
    return 2 * dn.size() + 2;
}

size_t quoteDisplayName(std::string_view dn, char* out) {
    char* w = out;
    *w++ = '"';
    for (char c : dn) {
        if (c == '\r' || c == '\n') continue;  // folding: the SP/HT after it stays
        if (needsBackslash(c)) *w++ = '\\';
        *w++ = c;
    }
    *w++ = '"';
    return static_cast<size_t>(w - out);
}

}  // namespace osprey::sip
