#include "core/rpc/registry.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace osprey::rpc {

namespace {

std::vector<const Method*>& table() {
    static std::vector<const Method*> t;
    return t;
}

// The n-th (0-based) space separated word of a method's parameter names.
std::string paramName(const Method& m, size_t n) {
    std::string_view s = m.params;
    size_t i = 0;
    while (!s.empty()) {
        size_t b = s.find_first_not_of(' ');
        if (b == std::string_view::npos) break;
        s.remove_prefix(b);
        size_t e = s.find(' ');
        std::string_view w = s.substr(0, e);
        if (i++ == n) return std::string(w);
        s.remove_prefix(e == std::string_view::npos ? s.size() : e);
    }
    return "?";
}

bool parseInt(const std::string& s, int64_t* out) {
    if (s.empty()) return false;
    errno = 0;
    char* end = nullptr;
    long long v = strtoll(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
}

bool parseDouble(const std::string& s, double* out) {
    if (s.empty()) return false;
    char* end = nullptr;
    double v = strtod(s.c_str(), &end);
    if (*end != '\0') return false;
    *out = v;
    return true;
}

std::string numberText(const Value& v) {
    if (v.isInt()) return std::to_string(v.asInt());
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v.asDouble());
    return buf;
}

// Converts v in place to the type `code` names (lower case); false when it cannot be.
bool convert(Value& v, char code) {
    switch (code) {
        case 'i': {
            if (v.isInt()) return true;
            int64_t i = 0;
            // A whole double within int64's range (casting one outside it is undefined, and
            // JSON numbers such as 1e300 or 88888888888888888888 arrive as doubles).
            const double d = v.isDouble() ? v.asDouble() : 0.5;
            if (d >= -0x1p63 && d < 0x1p63 && static_cast<double>(static_cast<int64_t>(d)) == d) {
                v = Value(static_cast<int64_t>(d));
                return true;
            }
            if (v.isString() && parseInt(v.asString(), &i)) {
                v = Value(i);
                return true;
            }
            return false;
        }
        case 'd': {
            if (v.isDouble()) return true;
            double d = 0;
            if (v.isInt()) {
                v = Value(static_cast<double>(v.asInt()));
                return true;
            }
            if (v.isString() && parseDouble(v.asString(), &d)) {
                v = Value(d);
                return true;
            }
            return false;
        }
        case 's':
            if (v.isString()) return true;
            if (v.isInt() || v.isDouble()) {
                v = Value(numberText(v));
                return true;
            }
            return false;
    }
    return false;
}

const char* codeName(char code) {
    switch (code) {
        case 'i':
            return "integer";
        case 'd':
            return "number";
        default:
            return "string";
    }
}

}  // namespace

bool addMethods(std::span<const Method> methods, std::string_view owner, std::string* error) {
    for (const Method& m : methods) {
        if (findMethod(m.name) != nullptr) {
            *error = std::string(owner) + ": RPC method '" + m.name + "' is already registered";
            return false;
        }
        table().push_back(&m);
    }
    return true;
}

void clearMethods() {
    table().clear();
}

const Method* findMethod(std::string_view name) {
    for (const Method* m : table()) {
        if (name == m->name) return m;
    }
    return nullptr;
}

std::span<const Method* const> allMethods() {
    return table();
}

bool checkArgs(const Method& m, std::vector<Value>& args, Error* error) {
    const std::string_view codes = m.types;
    if (codes == "*") return true;  // the handler checks what it was sent
    if (args.size() > codes.size()) {
        *error =
            Error{kBadRequest, "invalid parameters: " + std::to_string(args.size()) + " given, " +
                                   m.name + " takes at most " + std::to_string(codes.size())};
        return false;
    }
    for (size_t i = 0; i < codes.size(); ++i) {
        const bool optional = codes[i] >= 'A' && codes[i] <= 'Z';
        const char code = static_cast<char>(optional ? codes[i] - 'A' + 'a' : codes[i]);
        if (i >= args.size()) {
            if (optional) {
                args.emplace_back();
                continue;
            }
            *error = Error{kBadRequest, "invalid parameters: '" + paramName(m, i) + "' (#" +
                                            std::to_string(i + 1) + ") is missing"};
            return false;
        }
        if (!convert(args[i], code)) {
            *error = Error{kBadRequest, "invalid parameter '" + paramName(m, i) + "' (#" +
                                            std::to_string(i + 1) + "): " + codeName(code) +
                                            " expected, got " + Value::typeName(args[i].type())};
            return false;
        }
    }
    return true;
}

Result invoke(const Method& m, std::vector<Value> args) {
    Error error;
    if (!checkArgs(m, args, &error)) return Result(std::move(error));
    return m.call(args);
}

}  // namespace osprey::rpc
