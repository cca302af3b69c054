// Character classes and small scanners of the RFC 3261 §25 message grammar (tokens, LWS with
// line folding, quoted strings, numbers, hosts), shared by the header parsers. Internal to
// core/sip; header values seen here come from the scanner, which guarantees that any CR or LF
// inside a value is part of a fold (CRLF followed by SP/HT), so LWS skipping may treat CR and
// LF as blanks.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "core/sip/text.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace osprey::sip::lex {

enum : uint16_t {
    kToken = 1 << 0,  // alphanum - . ! % * _ + ` ' ~
    kBlank = 1 << 1,  // SP HT
    kLws = 1 << 2,    // SP HT CR LF
    kDigit = 1 << 3,
    kAlpha = 1 << 4,
    kWord = 1 << 5,       // Call-ID word: token chars and ( ) < > : \ " / [ ] ? { }
    kCtl = 1 << 6,        // octets never allowed outside quoted-pair: 0x00-0x1F but HT, 0x7F
    kHost = 1 << 7,       // hostname / IPv4 chars: alphanum - .
    kParamV = 1 << 8,     // unquoted gen-value: token chars, and ':' '[' ']' for IPv6 hosts
    kUriCh = 1 << 9,      // octets a URI may contain (RFC 3986 unreserved, reserved, %)
    kScheme = 1 << 10,    // ALPHA DIGIT + - .
    kAngleBad = 1 << 11,  // may not appear inside <URI>: LWS, CTL, '<', '"'
    kSpecStop = 1 << 12,  // ends or breaks a bare addr-spec: LWS CTL ; , ? < > "
};

constexpr std::array<uint16_t, 256> makeClassTable() {
    std::array<uint16_t, 256> t{};
    auto set = [&t](std::string_view chars, uint16_t bit) {
        for (char c : chars) t[static_cast<unsigned char>(c)] |= bit;
    };
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha;
    for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit;
    for (int c = 0; c < 256; ++c) {
        if (t[c] & (kAlpha | kDigit)) t[c] |= kToken | kWord | kHost | kParamV | kUriCh | kScheme;
        if (c < 0x20 && c != '\t') t[c] |= kCtl;
    }
    t[0x7f] |= kCtl;
    set("-.!%*_+`'~", kToken | kWord | kParamV);
    set("()<>:\\\"/[]?{}", kWord);
    set(" \t", kBlank | kLws);
    set("\r\n", kLws);
    set("-.", kHost);
    set(":[]", kParamV);
    set("-._~!$&'()*+,;=:@/?[]%", kUriCh);
    set("+-.", kScheme);
    for (int c = 0; c < 256; ++c) {
        if (t[c] & (kLws | kCtl)) t[c] |= kAngleBad | kSpecStop;
    }
    set("<\"", kAngleBad);
    set(";,?<>\"", kSpecStop);
    return t;
}

inline constexpr std::array<uint16_t, 256> kClass = makeClassTable();

inline bool is(char c, uint16_t mask) {
    return (kClass[static_cast<unsigned char>(c)] & mask) != 0;
}
using sip::lower;

// Case-insensitive compare of a token (header or parameter name, transport, scheme) with a
// lower-case literal. OR-ing 0x20 lowers a letter and maps no other token octet onto a letter
// or onto the punctuation a literal may hold (- . ! % * + ` ' ~; not '_').
// Names of 2-8 octets take two overlapping word compares (the literal's words fold to
// constants once inlined).
inline bool tokenIs(std::string_view token, std::string_view lowerLiteral) {
    const size_t n = lowerLiteral.size();
    if (token.size() != n) return false;
    const char* t = token.data();
    const char* l = lowerLiteral.data();
    if (n >= 4 && n <= 8) {
        uint32_t a, b, la, lb;
        __builtin_memcpy(&a, t, 4);
        __builtin_memcpy(&b, t + n - 4, 4);
        __builtin_memcpy(&la, l, 4);
        __builtin_memcpy(&lb, l + n - 4, 4);
        return ((a | 0x20202020u) == la) & ((b | 0x20202020u) == lb);
    }
    if (n >= 2 && n < 4) {
        uint16_t a, b, la, lb;
        __builtin_memcpy(&a, t, 2);
        __builtin_memcpy(&b, t + n - 2, 2);
        __builtin_memcpy(&la, l, 2);
        __builtin_memcpy(&lb, l + n - 2, 2);
        return ((a | 0x2020u) == la) & ((b | 0x2020u) == lb);
    }
    for (size_t i = 0; i < n; ++i)
        if ((t[i] | 0x20) != l[i]) return false;
    return true;
}

inline bool equalsNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

inline uint64_t load8(const char* p) {
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

// True when the 8 octets at p, with bytes `foldMask` OR-ed with 0x20 (the letters), equal the
// lower-case `lit`: a case-insensitive compare of fixed spellings like "SIP/2.0/".
inline bool foldEquals8(const char* p, uint64_t foldMask, const char (&lit)[9]) {
    return (load8(p) | foldMask) == load8(lit);
}

// Vector scans for the classes that are "printable ASCII but a few octets": 16 octets per step
// with SSE2 (baseline on x86-64) instead of a table lookup per octet. A class is described by
// its stop octets: anything below 0x21, 0x7f, octets 0x80-0xff unless highOk, and `Stops`.
// kStopsOf checks at compile time that this matches the class table exactly.
template <bool HighOk, char... Stops>
constexpr bool isStop(unsigned char c) {
    return c < 0x21 || c == 0x7f || (!HighOk && c >= 0x80) || ((c == static_cast<unsigned char>(Stops)) || ...);
}

// The stop octets are exactly those outside the class (or, classIsStops, inside it).
template <bool HighOk, char... Stops>
constexpr bool stopsMatchClass(uint16_t mask, bool classIsStops = false) {
    for (unsigned c = 0; c < 256; ++c) {
        const bool inClass = (kClass[c] & mask) != 0;
        if (isStop<HighOk, Stops...>(static_cast<unsigned char>(c)) != (inClass == classIsStops))
            return false;
    }
    return true;
}

#if defined(__SSE2__)
template <bool HighOk, char... Stops>
[[gnu::always_inline]] inline unsigned stopBits(const char* p) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // unsigned x <= 0x20, 0x7f, or signed x < 0 (0x80-0xff) when high octets stop too
    __m128i hit = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
    if constexpr (!HighOk) hit = _mm_or_si128(hit, _mm_cmplt_epi8(x, _mm_setzero_si128()));
    ((hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(Stops)))), ...);
    return static_cast<unsigned>(_mm_movemask_epi8(hit));
}
#endif

// First octet in [p, end) that isStop<HighOk, Stops...>; end if none. For runs shorter than 16
// the same set is given by the class table: `mask` (stopsMatchClass) plus the octet `also`.
template <bool HighOk, char... Stops>
[[gnu::always_inline]] inline const char* findStop(const char* p, const char* end, uint16_t mask,
                                                   bool classIsStops, char also = '\0') {
#if defined(__SSE2__)
    if (end - p >= 16) {
        const char* const last = end - 16;
        for (; p < last; p += 16) {
            if (unsigned bits = stopBits<HighOk, Stops...>(p)) return p + __builtin_ctz(bits);
        }
        // The rest in one load ending at `end`, overlapping what was already checked.
        const unsigned bits = stopBits<HighOk, Stops...>(last) >> (p - last);
        return bits ? p + __builtin_ctz(bits) : end;
    }
#endif
    for (; p < end; ++p)
        if (((kClass[static_cast<unsigned char>(*p)] & mask) != 0) == classIsStops || *p == also)
            return p;
    return end;
}

// End of the run of Call-ID word characters (kWord) from i.
inline size_t scanWord(std::string_view s, size_t i) {
    static_assert(stopsMatchClass<false, '#', '$', '&', ',', ';', '=', '@', '^', '|'>(kWord));
    return static_cast<size_t>(findStop<false, '#', '$', '&', ',', ';', '=', '@', '^', '|'>(
                                   s.data() + i, s.data() + s.size(), kWord, false) -
                               s.data());
}

// End of the run of URI characters (kUriCh) from i.
inline size_t scanUriChars(std::string_view s, size_t i) {
    static_assert(
        stopsMatchClass<false, '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}'>(kUriCh));
    return static_cast<size_t>(
        findStop<false, '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}'>(
            s.data() + i, s.data() + s.size(), kUriCh, false) -
        s.data());
}

// First octet in [p, end) that can not appear inside "<URI>" (kAngleBad) or is '>'; end if none.
inline const char* findAngleEnd(const char* p, const char* end) {
    static_assert(stopsMatchClass<true, '<', '"'>(kAngleBad, true));
    return findStop<true, '<', '"', '>'>(p, end, kAngleBad, true, '>');
}

// Skips LWS (SP, HT, and folding: CRLF or LF followed by SP/HT) from i; returns the first
// other position (or s.size()). A CR or LF that is not a fold stops the skip, so the caller
// sees it as an illegal octet.
inline size_t skipLwsSlow(std::string_view s, size_t i) {
    const size_t n = s.size();
    while (i < n) {
        char c = s[i];
        if (c == ' ' || c == '\t') {
            ++i;
        } else if (c == '\r' && i + 2 < n && s[i + 1] == '\n' &&
                   (s[i + 2] == ' ' || s[i + 2] == '\t')) {
            i += 3;
        } else if (c == '\n' && i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t')) {
            i += 2;
        } else {
            break;
        }
    }
    return i;
}

inline size_t skipLws(std::string_view s, size_t i) {
    // The common case, no whitespace at all, costs one table lookup.
    if (i >= s.size() || !is(s[i], kLws)) return i;
    return skipLwsSlow(s, i);
}

// End of the run of `mask` characters starting at i (unrolled: this is the parser's inner loop).
inline size_t scanWhile(std::string_view s, size_t i, uint16_t mask) {
    const char* p = s.data();
    const size_t n = s.size();
    for (; i + 4 <= n; i += 4) {
        if (!is(p[i], mask)) return i;
        if (!is(p[i + 1], mask)) return i + 1;
        if (!is(p[i + 2], mask)) return i + 2;
        if (!is(p[i + 3], mask)) return i + 3;
    }
    while (i < n && is(p[i], mask)) ++i;
    return i;
}

// s[i] is '"'. Returns the position just past the closing quote, or npos when the string is
// not closed or holds a control octet outside a quoted-pair (RFC 3261 §25.1 quoted-string;
// quoted-pair allows any octet but CR and LF, RFC 4475 3.1.1.2).
inline size_t scanQuoted(std::string_view s, size_t i) {
    for (++i; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') return i + 1;
        if (c == '\\') {
            if (i + 1 >= s.size() || s[i + 1] == '\r' || s[i + 1] == '\n')
                return std::string_view::npos;
            ++i;
        } else if (c == '\r' || c == '\n') {
            size_t j = skipLws(s, i);  // only a fold may break a quoted string's line
            if (j == i) return std::string_view::npos;
            i = j - 1;
        } else if (is(c, kCtl)) {
            return std::string_view::npos;
        }
    }
    return std::string_view::npos;
}

// Comment "(" ... ")" with nesting and quoted-pairs (RFC 3261 §25.1); s[i] is '('.
inline size_t scanComment(std::string_view s, size_t i) {
    int depth = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\\') {
            if (++i >= s.size()) return std::string_view::npos;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')') {
            if (--depth == 0) return i + 1;
        } else if (is(c, kCtl) && c != '\r' && c != '\n') {
            return std::string_view::npos;
        }
    }
    return std::string_view::npos;
}

enum class NumResult : uint8_t { Ok, NotNumber, TooLarge };

// 1*DIGIT into 32 bits; leading zeros allowed.
inline NumResult parseU32(std::string_view s, uint32_t& out) {
    if (s.empty()) return NumResult::NotNumber;
    uint64_t v = 0;
    for (char c : s) {
        if (!is(c, kDigit)) return NumResult::NotNumber;
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > 0xffffffffu) return NumResult::TooLarge;
    }
    out = static_cast<uint32_t>(v);
    return NumResult::Ok;
}

enum class HostType : uint8_t { Bad, Name, Ipv4, Ipv6 };

// Classifies a sent-by / host: hostname (RFC 3261 §25.1), dotted quad, or "[" IPv6 "]".
HostType classifyHost(std::string_view h);

// Scans a host at s[i] (an IPv6 reference "[...]" or hostname/IPv4 characters); returns end.
inline size_t scanHost(std::string_view s, size_t i) {
    if (i < s.size() && s[i] == '[') {
        size_t j = s.find(']', i);
        return j == std::string_view::npos ? i : j + 1;
    }
    return scanWhile(s, i, kHost);
}

// Scans a host at s[i] and classifies it in the same pass: the end (as scanHost) and the type
// (as classifyHost of the scanned text). Only hostnames starting with a letter, the usual Via
// sent-by, are done in one pass; IPv4, IPv6 and anything doubtful are scanned again by
// classifyHost.
inline size_t scanClassifyHost(std::string_view s, size_t i, HostType& type) {
    const size_t n = s.size();
    if (i < n && is(s[i], kAlpha)) {
        // hostname rule as in classifyHost: labels of alphanumerics and inner '-', the top
        // label starting with a letter.
        size_t label = i;
        size_t j = i;
        for (;;) {
            j = scanWhile(s, j, kAlpha | kDigit);
            if (j == n || (s[j] != '.' && s[j] != '-')) break;
            if (j == label || (s[j] == '.' && s[j - 1] == '-')) {
                j = i;  // doubtful: the slow path below decides
                break;
            }
            if (s[j] == '.') label = j + 1;
            ++j;
        }
        // Ends with an alphanumeric (no trailing '.' or '-'), last label non-empty.
        if (j > label && is(s[label], kAlpha) && is(s[j - 1], kAlpha | kDigit)) {
            type = HostType::Name;
            return j;
        }
    }
    const size_t e = scanHost(s, i);
    type = classifyHost(s.substr(i, e - i));
    return e;
}

}  // namespace osprey::sip::lex
