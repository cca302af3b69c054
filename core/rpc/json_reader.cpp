// The JSON reader: recursive descent with a depth bound, errors as values.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/rpc/json.h"

namespace osprey::rpc {

namespace {

class Reader {
public:
    Reader(std::string_view t, unsigned maxDepth) : t_(t), maxDepth_(maxDepth) {}

    bool value(Value* out, unsigned depth) {
        skipSpace();
        if (pos_ >= t_.size()) return incomplete();
        switch (t_[pos_]) {
            case '{':
                return object(out, depth);
            case '[':
                return array(out, depth);
            case '"': {
                std::string s;
                if (!string(&s)) return false;
                *out = Value(std::move(s));
                return true;
            }
            case 't':
                return literal("true", Value(int64_t{1}), out);
            case 'f':
                return literal("false", Value(int64_t{0}), out);
            case 'n':
                return literal("null", Value(), out);
            default:
                return number(out);
        }
    }

    size_t pos() const { return pos_; }
    bool isIncomplete() const { return incomplete_; }
    const std::string& error() const { return error_; }
    void skipSpace() {
        while (pos_ < t_.size() &&
               (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r'))
            ++pos_;
    }

private:
    bool incomplete() {
        incomplete_ = true;
        error_ = "unexpected end of input";
        return false;
    }
    bool fail(const char* what) {
        error_ = what;
        return false;
    }

    bool literal(std::string_view word, Value v, Value* out) {
        for (size_t i = 0; i < word.size(); ++i) {
            if (pos_ + i >= t_.size()) return incomplete();
            if (t_[pos_ + i] != word[i]) return fail("invalid literal");
        }
        pos_ += word.size();
        *out = std::move(v);
        return true;
    }

    bool object(Value* out, unsigned depth) {
        if (depth >= maxDepth_) return fail("nesting too deep");
        ++pos_;  // '{'
        Value obj = Value::structure();
        skipSpace();
        if (pos_ >= t_.size()) return incomplete();
        if (t_[pos_] == '}') {
            ++pos_;
            *out = std::move(obj);
            return true;
        }
        for (;;) {
            skipSpace();
            if (pos_ >= t_.size()) return incomplete();
            if (t_[pos_] != '"') return fail("object member name expected");
            std::string name;
            if (!string(&name)) return false;
            skipSpace();
            if (pos_ >= t_.size()) return incomplete();
            if (t_[pos_] != ':') return fail("':' expected");
            ++pos_;
            Value v;
            if (!value(&v, depth + 1)) return false;
            obj.add(std::move(name), std::move(v));
            skipSpace();
            if (pos_ >= t_.size()) return incomplete();
            if (t_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (t_[pos_] == '}') {
                ++pos_;
                *out = std::move(obj);
                return true;
            }
            return fail("',' or '}' expected");
        }
    }

    bool array(Value* out, unsigned depth) {
        if (depth >= maxDepth_) return fail("nesting too deep");
        ++pos_;  // '['
        Value arr = Value::array();
        skipSpace();
        if (pos_ >= t_.size()) return incomplete();
        if (t_[pos_] == ']') {
            ++pos_;
            *out = std::move(arr);
            return true;
        }
        for (;;) {
            Value v;
            if (!value(&v, depth + 1)) return false;
            arr.push(std::move(v));
            skipSpace();
            if (pos_ >= t_.size()) return incomplete();
            if (t_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (t_[pos_] == ']') {
                ++pos_;
                *out = std::move(arr);
                return true;
            }
            return fail("',' or ']' expected");
        }
    }

    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    // Four hex digits after "\u"; -1 on error (incomplete_ set when input ran out).
    long hex4() {
        if (pos_ + 4 > t_.size()) {
            incomplete();
            return -1;
        }
        long v = 0;
        for (int i = 0; i < 4; ++i) {
            int d = hexDigit(t_[pos_ + i]);
            if (d < 0) {
                fail("invalid \\u escape");
                return -1;
            }
            v = v * 16 + d;
        }
        pos_ += 4;
        return v;
    }

    static void appendUtf8(unsigned long cp, std::string* s) {
        if (cp < 0x80) {
            s->push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
            s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
            s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
            s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    bool string(std::string* out) {
        ++pos_;  // '"'
        for (;;) {
            if (pos_ >= t_.size()) return incomplete();
            const char c = t_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
            if (c != '\\') {
                out->push_back(c);
                continue;
            }
            if (pos_ >= t_.size()) return incomplete();
            const char e = t_[pos_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out->push_back(e);
                    break;
                case 'b':
                    out->push_back('\b');
                    break;
                case 'f':
                    out->push_back('\f');
                    break;
                case 'n':
                    out->push_back('\n');
                    break;
                case 'r':
                    out->push_back('\r');
                    break;
                case 't':
                    out->push_back('\t');
                    break;
                case 'u': {
                    long cp = hex4();
                    if (cp < 0) return false;
                    if (cp >= 0xD800 && cp < 0xDC00) {
                        // A high surrogate must be followed by "\u" and a low one.
                        if (pos_ < t_.size() && t_[pos_] != '\\') return fail("unpaired surrogate");
                        if (pos_ + 1 < t_.size() && t_[pos_ + 1] != 'u')
                            return fail("unpaired surrogate");
                        if (pos_ + 2 > t_.size()) return incomplete();
                        pos_ += 2;
                        long lo = hex4();
                        if (lo < 0) return false;
                        if (lo < 0xDC00 || lo > 0xDFFF) return fail("unpaired surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return fail("unpaired surrogate");
                    }
                    appendUtf8(static_cast<unsigned long>(cp), out);
                    break;
                }
                default:
                    return fail("invalid escape");
            }
        }
    }

    bool number(Value* out) {
        const size_t start = pos_;
        bool integral = true;
        if (pos_ < t_.size() && t_[pos_] == '-') ++pos_;
        if (pos_ >= t_.size()) return incomplete();
        if (t_[pos_] == '0') {
            ++pos_;
        } else if (t_[pos_] >= '1' && t_[pos_] <= '9') {
            while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
        } else {
            return fail("invalid value");
        }
        if (pos_ < t_.size() && t_[pos_] == '.') {
            integral = false;
            ++pos_;
            size_t d = pos_;
            while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
            if (pos_ == t_.size()) return incomplete();
            if (pos_ == d) return fail("digit expected after '.'");
        }
        if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) ++pos_;
            size_t d = pos_;
            while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
            if (pos_ == t_.size()) return incomplete();
            if (pos_ == d) return fail("digit expected in exponent");
        }
        // A number that reaches the end of the input may go on in the next bytes.
        if (pos_ == t_.size()) return incomplete();
        std::string text(t_.substr(start, pos_ - start));
        if (integral) {
            errno = 0;
            char* end = nullptr;
            long long v = strtoll(text.c_str(), &end, 10);
            if (errno == 0 && *end == '\0') {
                *out = Value(static_cast<int64_t>(v));
                return true;
            }
        }
        double d = strtod(text.c_str(), nullptr);
        if (!std::isfinite(d)) return fail("number out of range");
        *out = Value(d);
        return true;
    }

    std::string_view t_;
    unsigned maxDepth_;
    size_t pos_ = 0;
    bool incomplete_ = false;
    std::string error_;
};

}  // namespace

JsonParse parseJson(std::string_view text, Value* out, unsigned maxDepth) {
    Reader r(text, maxDepth);
    JsonParse res;
    if (r.value(out, 0)) {
        res.status = JsonStatus::Ok;
        res.consumed = r.pos();
        return res;
    }
    res.status = r.isIncomplete() ? JsonStatus::Incomplete : JsonStatus::Invalid;
    res.errorAt = r.pos();
    res.error = r.error();
    return res;
}

}  // namespace osprey::rpc
