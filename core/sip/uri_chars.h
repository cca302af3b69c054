// Character classes of the RFC 3261 §25.1 and RFC 3966 URI grammars, as one lookup table, and
// the small scanners the URI parser and comparison share. Internal to core/sip/uri*.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "core/sip/sip_lex.h"
#include "core/sip/text.h"

namespace osprey::sip::uri_chars {

enum : uint16_t {
    kAlpha = 1 << 0,
    kDigit = 1 << 1,
    kMark = 1 << 2,        // - _ . ! ~ * ' ( )
    kUserUnres = 1 << 3,   // & = + $ , ; ? /
    kPassExtra = 1 << 4,   // & = + $ ,
    kParamUnres = 1 << 5,  // [ ] / : & + $
    kHnvUnres = 1 << 6,    // [ ] / ? : + $
    kHex = 1 << 7,
    kToken = 1 << 8,      // RFC 3261 token, as lex::kToken
    kVisualSep = 1 << 9,  // RFC 3966: - . ( )
    kReserved = 1 << 10,  // RFC 2396 reserved: ; / ? : @ & = + $ ,
    kAlnum = kAlpha | kDigit,
    kUnreserved = kAlnum | kMark,
};

constexpr std::array<uint16_t, 256> makeTable() {
    std::array<uint16_t, 256> t{};
    auto set = [&t](std::string_view chars, uint16_t bit) {
        for (char c : chars) t[static_cast<unsigned char>(c)] |= bit;
    };
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha;
    for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kHex;
    for (int c = 0; c < 256; ++c)
        if (lex::kClass[c] & lex::kToken) t[c] |= kToken;
    set("abcdefABCDEF", kHex);
    set("-_.!~*'()", kMark);
    set("&=+$,;?/", kUserUnres);
    set("&=+$,", kPassExtra);
    set("[]/:&+$", kParamUnres);
    set("[]/?:+$", kHnvUnres);
    set("-.()", kVisualSep);
    set(";/?:@&=+$,", kReserved);
    return t;
}

inline constexpr std::array<uint16_t, 256> kClass = makeTable();

inline bool is(char c, uint16_t mask) {
    return (kClass[static_cast<unsigned char>(c)] & mask) != 0;
}

using sip::hexValue;
using sip::lower;

// Offset of the first character of s that is neither in mask nor part of a valid "%" HEX HEX
// escape (when escapes are allowed); npos when all of s is valid.
inline size_t firstInvalid(std::string_view s, uint16_t mask, bool escapes = true) {
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (is(c, mask)) continue;
        if (escapes && c == '%' && i + 2 < s.size() && is(s[i + 1], kHex) && is(s[i + 2], kHex)) {
            i += 2;
            continue;
        }
        return i;
    }
    return std::string_view::npos;
}

inline bool isToken(std::string_view s) {
    return !s.empty() && firstInvalid(s, kToken, false) == std::string_view::npos;
}

// Iterates "name[=value]" items separated by `sep` (';' for parameters, '&' for headers).
struct ItemIter {
    std::string_view rest;
    char sep;
    bool done;
    ItemIter(std::string_view list, char separator)
        : rest(list), sep(separator), done(list.empty()) {}
    // Returns false when no items are left.
    bool next(std::string_view& name, std::string_view& value, bool& hasValue) {
        if (done) return false;
        size_t end = rest.find(sep);
        std::string_view item = rest.substr(0, end);
        if (end == std::string_view::npos) {
            done = true;
        } else {
            rest.remove_prefix(end + 1);
        }
        size_t eq = item.find('=');
        hasValue = eq != std::string_view::npos;
        name = item.substr(0, eq);
        value = hasValue ? item.substr(eq + 1) : std::string_view{};
        return true;
    }
};

// Equality after RFC 3261 §19.1.4 unescaping: "%" HEX HEX equals the character it encodes
// unless that character is reserved (then only the same escape matches).
bool equalEscaped(std::string_view a, std::string_view b, bool caseSensitive);

// Parses a dotted-quad (each part 1*3DIGIT, at most 255).
bool parseIpv4(std::string_view s, uint8_t out[4]);
// Parses an RFC 3261 IPv6address (RFC 4291 text form, optional trailing dotted quad).
bool parseIpv6(std::string_view s, uint8_t out[16]);

}  // namespace osprey::sip::uri_chars
