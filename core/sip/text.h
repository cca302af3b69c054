// Small text helpers shared by the SIP parser and builders, the modules and the tests: ASCII
// lower-casing, hex digits and SP/HT trimming. Header-only and dependent on nothing, so every
// layer above mem/ (core/sip included) can use the one copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace osprey::sip {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// ASCII only: header names, tokens and hex are ASCII (RFC 3261 §7.3.1); other octets unchanged.
inline char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Value of one hex digit (either case); -1 when c is not one.
inline int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// n octets as 2n lower-case hex digits (no terminator).
inline void toHex(const uint8_t* in, size_t n, char* out) {
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = kHexDigits[in[i] >> 4];
        out[2 * i + 1] = kHexDigits[in[i] & 15];
    }
}

// v in lower-case hex without leading zeros (at least one digit) into out, which holds 16;
// returns the number of digits.
inline size_t putHex(uint64_t v, char* out) {
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = kHexDigits[v & 15];
        v >>= 4;
    } while (v != 0);
    for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    return n;
}

// s without leading and trailing SP and HT.
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace osprey::sip
