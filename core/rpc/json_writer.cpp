// The JSON writer: compact output, strings escaped per RFC 8259 §7.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/rpc/json.h"

namespace osprey::rpc {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t utf8Length(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t n = 0;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    }
    // Overlong forms, surrogates and code points above U+10FFFF.
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;
    return n;
}

}  // namespace

void writeJsonString(std::string_view s, std::string* out) {
    out->push_back('"');
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            size_t n = utf8Length(s, i);
            if (n == 0) {
                out->append("\xEF\xBF\xBD");  // U+FFFD
                ++i;
            } else {
                out->append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"':
                out->append("\\\"");
                break;
            case '\\':
                out->append("\\\\");
                break;
            case '\n':
                out->append("\\n");
                break;
            case '\r':
                out->append("\\r");
                break;
            case '\t':
                out->append("\\t");
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    snprintf(buf, sizeof buf, "\\u%04x", c);
                    out->append(buf);
                } else {
                    out->push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out->push_back('"');
}

void writeJson(const Value& v, std::string* out) {
    switch (v.type()) {
        case Value::Type::Null:
            out->append("null");
            return;
        case Value::Type::Int:
            out->append(std::to_string(v.asInt()));
            return;
        case Value::Type::Double: {
            if (!std::isfinite(v.asDouble())) {
                out->append("null");
                return;
            }
            char buf[64];
            snprintf(buf, sizeof buf, "%.17g", v.asDouble());
            out->append(buf);
            // A double stays a double when read back ("-0" would come back as the integer 0).
            if (strpbrk(buf, ".eE") == nullptr) out->append(".0");
            return;
        }
        case Value::Type::String:
            writeJsonString(v.asString(), out);
            return;
        case Value::Type::Array: {
            out->push_back('[');
            bool first = true;
            for (const Value& e : v.items()) {
                if (!first) out->push_back(',');
                first = false;
                writeJson(e, out);
            }
            out->push_back(']');
            return;
        }
        case Value::Type::Struct: {
            out->push_back('{');
            bool first = true;
            for (const Value::Member& m : v.members()) {
                if (!first) out->push_back(',');
                first = false;
                writeJsonString(m.first, out);
                out->push_back(':');
                writeJson(m.second, out);
            }
            out->push_back('}');
            return;
        }
    }
}

}  // namespace osprey::rpc
