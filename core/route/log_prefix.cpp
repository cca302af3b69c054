// log_prefix: parsed once into literal and pv parts, evaluated per message into a fixed buffer.
#include "core/route/log_prefix.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <variant>
#include <vector>

#include "core/log/log.h"
#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/route/msg_context.h"

namespace osprey::route {

namespace detail {
bool g_logPrefixActive = false;
}

namespace {

struct Part {
    bool pv = false;
    std::string text;  // literal text, or the pv's name ("$ci", "$hdr(X-Id)")
};

std::vector<Part> g_parts;  // set in the master before fork; read-only afterwards

bool nameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The pv name starting at format[i] ('$'): the longest "$name" or "$name(...)" the pv engine
// knows, so "$ci-$rm" and "$rm:" work without separators the engine would need.
size_t pvNameLength(const std::string& format, size_t i) {
    size_t end = i + 1;
    while (end < format.size() && nameChar(format[end])) ++end;
    if (end < format.size() && format[end] == '(') {
        const size_t close = format.find(')', end);
        if (close != std::string::npos) {
            pv::PvSpec spec;
            if (pv::parsePvName(std::string_view(format).substr(i, close + 1 - i), spec) ==
                pv::PvNameError::Ok)
                return close + 1 - i;
        }
    }
    for (; end > i + 1; --end) {
        pv::PvSpec spec;
        if (pv::parsePvName(std::string_view(format).substr(i, end - i), spec) ==
            pv::PvNameError::Ok)
            return end - i;
    }
    return 0;
}

size_t put(char* dst, size_t pos, size_t cap, std::string_view s) {
    const size_t n = std::min(s.size(), cap - pos);
    std::memcpy(dst + pos, s.data(), n);
    return pos + n;
}

}  // namespace

bool setLogPrefix(const std::string& format, std::string* error) {
    std::vector<Part> parts;
    std::string literal;
    for (size_t i = 0; i < format.size();) {
        if (format[i] != '$') {
            literal += format[i++];
            continue;
        }
        const size_t len = pvNameLength(format, i);
        if (len == 0) {
            size_t end = i + 1;
            while (end < format.size() && nameChar(format[end])) ++end;
            *error = "unknown pseudo-variable '" + format.substr(i, end - i) + "'";
            return false;
        }
        if (!literal.empty()) parts.push_back(Part{false, std::move(literal)});
        literal.clear();
        parts.push_back(Part{true, format.substr(i, len)});
        i += len;
    }
    if (!literal.empty()) parts.push_back(Part{false, std::move(literal)});
    g_parts = std::move(parts);
    detail::g_logPrefixActive = !g_parts.empty();
    return true;
}

namespace detail {

void applyLogPrefix(MsgContext& mc) noexcept {
    char buf[256];
    const size_t cap = sizeof buf;
    size_t pos = 0;
    for (const Part& p : g_parts) {
        if (!p.pv) {
            pos = put(buf, pos, cap, p.text);
            continue;
        }
        const pv::PvLookup lookup = pv::pvLookup(p.text);
        if (lookup.error != pv::PvNameError::Ok) continue;
        const lua::PvValue v = pv::pvGet(mc, lookup.spec);
        if (const auto* s = std::get_if<std::string_view>(&v)) {
            pos = put(buf, pos, cap, *s);
        } else if (const auto* n = std::get_if<int64_t>(&v)) {
            char digits[24];
            const int len =
                std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(*n));
            pos = put(buf, pos, cap,
                      std::string_view(digits, len > 0 ? static_cast<size_t>(len) : 0));
        } else {
            pos = put(buf, pos, cap, "<null>");
        }
    }
    log::setMessagePrefix(buf, pos);
}

bool prefixSet() noexcept {
    return log::hasMessagePrefix();
}

void clearLogPrefix() noexcept {
    log::clearMessagePrefix();
}

}  // namespace detail

}  // namespace osprey::route
