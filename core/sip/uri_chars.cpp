// Scanners shared by the URI parser and comparison: escape-aware equality and IP addresses.
#include "core/sip/uri_chars.h"

namespace osprey::sip::uri_chars {

namespace {

// One character of a URI component after unescaping. An escaped reserved character stays
// distinct from its literal form (RFC 3261 §19.1.4: only characters outside the reserved set
// are equivalent to their escapes).
struct Unit {
    char ch;
    bool escapedReserved;
};

inline Unit nextUnit(std::string_view s, size_t& i) {
    if (s[i] == '%' && i + 2 < s.size()) {
        int hi = hexValue(s[i + 1]);
        int lo = hexValue(s[i + 2]);
        if (hi >= 0 && lo >= 0) {
            char c = static_cast<char>(hi * 16 + lo);
            i += 3;
            return {c, is(c, kReserved)};
        }
    }
    return {s[i++], false};
}

}  // namespace

bool equalEscaped(std::string_view a, std::string_view b, bool caseSensitive) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        Unit x = nextUnit(a, i);
        Unit y = nextUnit(b, j);
        if (x.escapedReserved != y.escapedReserved) return false;
        if (caseSensitive ? x.ch != y.ch : lower(x.ch) != lower(y.ch)) return false;
    }
    return i == a.size() && j == b.size();
}

bool parseIpv4(std::string_view s, uint8_t out[4]) {
    size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < s.size() && is(s[i], kDigit) && i - start < 3) {
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        if (i == start || v > 255) return false;
        out[part] = static_cast<uint8_t>(v);
    }
    return i == s.size();
}

// IPv6address = hexpart [ ":" IPv4address ]; hexpart = hexseq / hexseq "::" [ hexseq ] /
// "::" [ hexseq ] (RFC 3261 §25.1, the RFC 4291 §2.2 text forms).
bool parseIpv6(std::string_view s, uint8_t out[16]) {
    uint16_t groups[8] = {};
    int n = 0;
    int gap = -1;  // index in groups where "::" stands
    size_t i = 0;
    if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (s.empty() || s[0] == ':') {
        return false;
    }
    while (i < s.size()) {
        size_t j = i;
        while (j < s.size() && is(s[j], kHex) && j - i < 5) ++j;
        if (j < s.size() && s[j] == '.') {
            // A trailing dotted quad fills the last two groups.
            uint8_t v4[4];
            if (n > 6 || !parseIpv4(s.substr(i), v4)) return false;
            groups[n++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
            groups[n++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
            i = s.size();
            break;
        }
        if (j == i || j - i > 4 || n >= 8) return false;
        unsigned v = 0;
        for (size_t k = i; k < j; ++k) v = v * 16 + static_cast<unsigned>(hexValue(s[k]));
        groups[n++] = static_cast<uint16_t>(v);
        i = j;
        if (i == s.size()) break;
        if (s[i] != ':') return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (gap >= 0) return false;  // "::" only once
            gap = n;
            ++i;
        } else if (i == s.size()) {
            return false;  // a single trailing ':'
        }
    }
    if (gap < 0 ? n != 8 : n > 7) return false;
    uint16_t full[8] = {};
    if (gap < 0) {
        for (int k = 0; k < 8; ++k) full[k] = groups[k];
    } else {
        int tail = n - gap;
        for (int k = 0; k < gap; ++k) full[k] = groups[k];
        for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
    }
    for (int k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xff);
    }
    return true;
}

}  // namespace osprey::sip::uri_chars
