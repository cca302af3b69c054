// Internal: the one scanner for ";name[=value]" lists after header values (RFC 3261 §25.1
// generic-param, with SEMI = SWS ";" SWS and EQUAL = SWS "=" SWS). Typed parsers call it with
// a callback that picks out the parameters they know.
#pragma once
#include <string_view>

#include "core/sip/parse_error.h"
#include "core/sip/sip_lex.h"

namespace osprey::sip {

// Scans *(SEMI param) from pos. On success pos is just past the last parameter (trailing LWS
// not consumed) and raw is the list from the first name to the end of the last value.
// onParam(name, value, hasValue, nameOffset) returns false to stop with an error it has put
// in err. Error offsets are relative to s.
template <class F>
bool scanParams(std::string_view s, size_t& pos, std::string_view& raw, ParseError& err,
                F&& onParam) {
    using namespace lex;
    size_t p = skipLws(s, pos);
    size_t rawStart = std::string_view::npos;
    size_t rawEnd = pos;
    while (p < s.size() && s[p] == ';') {
        p = skipLws(s, p + 1);
        const size_t ns = p;
        p = scanWhile(s, p, kToken);
        if (p == ns) {
            err.code = ParseErrc::BadParam;
            err.offset = static_cast<uint32_t>(ns);
            err.detail = "empty parameter";
            return false;
        }
        std::string_view name = s.substr(ns, p - ns);
        if (rawStart == std::string_view::npos) rawStart = ns;
        std::string_view value;
        bool hasValue = false;
        size_t after = skipLws(s, p);
        if (after < s.size() && s[after] == '=') {
            const size_t vs = skipLws(s, after + 1);
            size_t ve;
            if (vs < s.size() && s[vs] == '"') {
                ve = scanQuoted(s, vs);
                if (ve == std::string_view::npos) {
                    err.code = ParseErrc::UnterminatedQuote;
                    err.offset = static_cast<uint32_t>(vs);
                    err.detail = "quoted value of parameter '%1' not closed";
                    err.got = name;
                    return false;
                }
            } else {
                ve = scanWhile(s, vs, kParamV);
            }
            if (ve == vs) {
                err.code = ParseErrc::BadParam;
                err.offset = static_cast<uint32_t>(vs);
                err.detail = "parameter '%1' has '=' but no value";
                err.got = name;
                return false;
            }
            value = s.substr(vs, ve - vs);
            hasValue = true;
            p = ve;
        }
        rawEnd = p;
        if (!onParam(name, value, hasValue, ns)) return false;
        pos = p;
        p = skipLws(s, p);
    }
    raw = rawStart == std::string_view::npos ? s.substr(pos, 0)
                                             : s.substr(rawStart, rawEnd - rawStart);
    return true;
}

// Case-insensitive compare of a parameter name (a token) with a lower-case literal.
inline bool paramIs(std::string_view name, std::string_view lowerLiteral) {
    return lex::tokenIs(name, lowerLiteral);
}

}  // namespace osprey::sip
