// JSON log records.
#include "core/log/json_record.h"

#include <cstdint>
#include <cstring>

namespace osprey::log {

namespace {

// Bounded appender; once something does not fit, later appends are refused too, so a record
// never has a hole in the middle.
class Out {
public:
    Out(char* dst, size_t cap) : dst_(dst), cap_(cap) {}
    bool put(const char* s, size_t n) {
        if (full_ || n > cap_ - pos_) {
            full_ = true;
            return false;
        }
        std::memcpy(dst_ + pos_, s, n);
        pos_ += n;
        return true;
    }
    bool put(const char* s) { return put(s, std::strlen(s)); }
    bool putUInt(uint64_t v) {
        char digits[24];
        size_t n = 0;
        do {
            digits[sizeof digits - 1 - n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        return put(digits + sizeof digits - n, n);
    }
    size_t pos() const { return pos_; }
    size_t room() const { return cap_ - pos_; }

private:
    char* dst_;
    size_t cap_;
    size_t pos_ = 0;
    bool full_ = false;
};

// Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), 0 when the bytes there are not one.
size_t utf8Length(const unsigned char* s, size_t left) {
    const unsigned char c = s[0];
    size_t n;
    uint32_t min;
    uint32_t cp;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > left) return 0;
    for (size_t i = 1; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// Appends s as the inside of a JSON string, keeping `reserve` bytes free; cut at a character
// boundary with "..." when it does not fit. Returns false when it was cut.
bool putEscaped(Out& o, const char* s, size_t len, size_t reserve) {
    static const char kHex[] = "0123456789abcdef";
    const auto* u = reinterpret_cast<const unsigned char*>(s);
    for (size_t i = 0; i < len;) {
        char esc[8];
        size_t n = 0;
        size_t consumed = 1;
        const unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = static_cast<char>(c), n = 2;
        } else if (c == '\n') {
            esc[0] = '\\', esc[1] = 'n', n = 2;
        } else if (c == '\r') {
            esc[0] = '\\', esc[1] = 'r', n = 2;
        } else if (c == '\t') {
            esc[0] = '\\', esc[1] = 't', n = 2;
        } else if (c < 0x20 || c == 0x7F) {
            std::memcpy(esc, "\\u00", 4);
            esc[4] = kHex[c >> 4], esc[5] = kHex[c & 15], n = 6;
        } else if (c < 0x80) {
            esc[0] = static_cast<char>(c), n = 1;
        } else if (const size_t seq = utf8Length(u + i, len - i); seq != 0) {
            std::memcpy(esc, u + i, seq);
            n = consumed = seq;
        } else {
            std::memcpy(esc, "\\ufffd", 6), n = 6;
        }
        if (n + 3 + reserve > o.room()) {  // 3: "..."
            o.put("...", 3);
            return false;
        }
        o.put(esc, n);
        i += consumed;
    }
    return true;
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian): the era-based conversion.
void civilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0));
}

void digits(char* out, unsigned v, int n) {
    for (int i = n - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
}

}  // namespace

void formatRfc3339Utc(const timespec& t, char out[24]) {
    const int64_t secs = t.tv_sec;
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) rem += 86400, --days;
    int y;
    unsigned m, d;
    civilFromDays(days, &y, &m, &d);
    digits(out, static_cast<unsigned>(y), 4);
    out[4] = '-';
    digits(out + 5, m, 2);
    out[7] = '-';
    digits(out + 8, d, 2);
    out[10] = 'T';
    digits(out + 11, static_cast<unsigned>(rem / 3600), 2);
    out[13] = ':';
    digits(out + 14, static_cast<unsigned>(rem / 60 % 60), 2);
    out[16] = ':';
    digits(out + 17, static_cast<unsigned>(rem % 60), 2);
    out[19] = '.';
    digits(out + 20, static_cast<unsigned>(t.tv_nsec / 1000000), 3);
    out[23] = 'Z';
}

const char* moduleOfFile(const char* file, char* out, size_t cap) {
    const char* name = "core";
    size_t len = 4;
    const size_t flen = file != nullptr ? std::strlen(file) : 0;
    if (flen > 4 && std::strcmp(file + flen - 4, ".lua") == 0) {
        name = "script", len = 6;
    } else if (flen > 8 && std::strncmp(file, "modules/", 8) == 0) {
        name = file + 8;
        const char* slash = std::strchr(name, '/');
        len = slash != nullptr ? static_cast<size_t>(slash - name) : std::strlen(name);
    } else if (flen > 4 && std::strncmp(file, "mem/", 4) == 0) {
        name = "mem", len = 3;
    }
    if (len >= cap) len = cap - 1;
    std::memcpy(out, name, len);
    out[len] = '\0';
    return out;
}

size_t formatJsonRecord(const RecordFields& f, char* dst, size_t cap) {
    // What must still fit after the message: the prefix field is dropped before the object
    // would stay open, so reserve room for the closing part only.
    constexpr size_t kClose = 3;  // "}\n plus the quote
    Out o(dst, cap - 1);          // the newline always fits
    char time[24];
    formatRfc3339Utc(f.time, time);
    char module[32];
    moduleOfFile(f.file, module, sizeof module);
    o.put("{\"time\":\"");
    o.put(time, sizeof time);
    o.put("\",\"level\":\"");
    o.put(f.level);
    o.put("\",\"pid\":");
    o.putUInt(static_cast<uint64_t>(f.pid > 0 ? f.pid : 0));
    o.put(",\"process\":\"");
    putEscaped(o, f.process, std::strlen(f.process), 256);
    o.put("\",\"module\":\"");
    o.put(module);
    o.put("\",\"file\":\"");
    const char* file = f.file != nullptr ? f.file : "";
    putEscaped(o, file, std::strlen(file), 200);
    o.put("\",\"line\":");
    o.putUInt(static_cast<uint64_t>(f.line > 0 ? f.line : 0));
    const bool prefix = f.prefix != nullptr && f.prefixLen > 0;
    if (prefix) {
        o.put(",\"prefix\":\"");
        putEscaped(o, f.prefix, f.prefixLen, 100);
        o.put("\"");
    }
    o.put(",\"message\":\"");
    putEscaped(o, f.message, f.messageLen, kClose);
    o.put("\"}");
    size_t n = o.pos();
    dst[n++] = '\n';
    return n;
}

}  // namespace osprey::log
