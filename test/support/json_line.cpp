// parseJsonRecord.
#include "test/support/json_line.h"

#include <cstdint>

namespace osprey::testsupport {

namespace {

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    bool record(std::map<std::string, std::string>* out) {
        skipSpace();
        if (!eat('{')) return fail("expected '{'");
        skipSpace();
        if (eat('}')) return end();
        for (;;) {
            std::string key, value;
            skipSpace();
            if (!string(&key)) return false;
            skipSpace();
            if (!eat(':')) return fail("expected ':'");
            skipSpace();
            if (!scalar(&value)) return false;
            if (out->count(key) != 0) return fail("duplicate member " + key);
            (*out)[key] = value;
            skipSpace();
            if (eat('}')) return end();
            if (!eat(',')) return fail("expected ',' or '}'");
        }
    }
    const std::string& error() const { return error_; }

private:
    bool end() {
        skipSpace();
        return i_ == s_.size() || fail("text after the object");
    }
    bool fail(const std::string& why) {
        if (error_.empty()) error_ = why + " at byte " + std::to_string(i_);
        return false;
    }
    bool eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void skipSpace() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    static void putUtf8(std::string* out, uint32_t cp) {
        if (cp < 0x80) {
            *out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            *out += static_cast<char>(0xC0 | (cp >> 6));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *out += static_cast<char>(0xE0 | (cp >> 12));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            *out += static_cast<char>(0xF0 | (cp >> 18));
            *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    bool hex4(uint32_t* v) {
        if (i_ + 4 > s_.size()) return fail("short \\u escape");
        *v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            *v <<= 4;
            if (c >= '0' && c <= '9') {
                *v |= static_cast<uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                *v |= static_cast<uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                *v |= static_cast<uint32_t>(c - 'A' + 10);
            } else {
                return fail("bad hex digit");
            }
        }
        return true;
    }
    // One raw UTF-8 sequence starting at i_ (RFC 3629).
    bool utf8(std::string* out) {
        const auto c = static_cast<unsigned char>(s_[i_]);
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            n = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return fail("invalid UTF-8 lead byte");
        }
        if (i_ + n > s_.size()) return fail("truncated UTF-8");
        for (size_t k = 1; k < n; ++k) {
            const auto b = static_cast<unsigned char>(s_[i_ + k]);
            if ((b & 0xC0) != 0x80) return fail("invalid UTF-8 continuation");
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail("invalid UTF-8 code point");
        out->append(s_.substr(i_, n));
        i_ += n;
        return true;
    }
    bool string(std::string* out) {
        if (!eat('"')) return fail("expected a string");
        while (i_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20) return fail("raw control character in a string");
            if (c >= 0x80) {
                if (!utf8(out)) return false;
                continue;
            }
            ++i_;
            if (c != '\\') {
                *out += static_cast<char>(c);
                continue;
            }
            if (i_ >= s_.size()) break;
            const char e = s_[i_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    *out += e;
                    break;
                case 'b':
                    *out += '\b';
                    break;
                case 'f':
                    *out += '\f';
                    break;
                case 'n':
                    *out += '\n';
                    break;
                case 'r':
                    *out += '\r';
                    break;
                case 't':
                    *out += '\t';
                    break;
                case 'u': {
                    uint32_t cp;
                    if (!hex4(&cp)) return false;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        uint32_t lo;
                        if (!eat('\\') || !eat('u') || !hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF)
                            return fail("unpaired surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return fail("unpaired surrogate");
                    }
                    putUtf8(out, cp);
                    break;
                }
                default:
                    return fail("bad escape");
            }
        }
        return fail("unterminated string");
    }
    bool scalar(std::string* out) {
        if (i_ < s_.size() && s_[i_] == '"') return string(out);
        for (std::string_view lit : {"true", "false", "null"}) {
            if (s_.substr(i_, lit.size()) == lit) {
                i_ += lit.size();
                *out = lit;
                return true;
            }
        }
        // number = [ minus ] int [ frac ] [ exp ]
        const size_t start = i_;
        eat('-');
        if (eat('0')) {
        } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        } else {
            return fail("expected a value");
        }
        if (eat('.')) {
            if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return fail("bad fraction");
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return fail("bad exponent");
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        *out = s_.substr(start, i_ - start);
        return true;
    }

    std::string_view s_;
    size_t i_ = 0;
    std::string error_;
};

}  // namespace

bool parseJsonRecord(std::string_view line, std::map<std::string, std::string>* members,
                     std::string* error) {
    Parser p(line);
    if (p.record(members)) return true;
    *error = p.error();
    return false;
}

}  // namespace osprey::testsupport
