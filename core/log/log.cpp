#include "core/log/log.h"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/log/json_record.h"
#include "core/log/syslog_socket.h"
#include "mem/mem_log.h"

namespace osprey::log {

namespace detail {
std::atomic<int> g_ownLevel{static_cast<int>(Level::Notice)};
std::atomic<int>* g_level = &g_ownLevel;
}  // namespace detail

namespace {

constexpr size_t kLineMax = 2048;
constexpr size_t kPrefixMax = 256;   // log_prefix text per message
constexpr size_t kRecordMax = 4096;  // PIPE_BUF: one write() of a record is atomic on a pipe
constexpr int kFacility = 3 << 3;    // LOG_DAEMON

Target g_target = Target::Stderr;
Format g_format = Format::Text;
char g_msgPrefix[kPrefixMax];
size_t g_msgPrefixLen = 0;
int g_fd = 2;
SyslogSocket g_syslog;
char g_ident[32] = "osprey";
char g_name[32] = "main";
int g_pid = 0;
long g_utcOffset = 0;        // seconds east of UTC, cached for the async-signal-safe time stamp
char g_prefix[64] = "main";  // "name[pid]", rebuilt by setProcessName
size_t g_prefixLen = 4;

const char* const kUpperNames[8] = {"EMERG", "ALERT",  "CRIT", "ERROR",
                                    "WARN",  "NOTICE", "INFO", "DEBUG"};

int levelIndex(Level l) {
    return static_cast<int>(l) & 7;
}

// Writes all of buf, retrying on EINTR; one write() per line keeps lines from several
// processes appending to one file whole.
void writeAll(int fd, const char* buf, size_t len) {
    while (len > 0) {
        ssize_t n = ::write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        buf += n;
        len -= static_cast<size_t>(n);
    }
}

// Appends src to dst[pos..cap) without formatting (async-signal-safe); returns the new pos.
size_t append(char* dst, size_t pos, size_t cap, const char* src, size_t len) {
    if (pos >= cap) return pos;
    size_t n = len < cap - pos ? len : cap - pos;
    memcpy(dst + pos, src, n);
    return pos + n;
}

size_t appendStr(char* dst, size_t pos, size_t cap, const char* s) {
    return append(dst, pos, cap, s, strlen(s));
}

size_t appendUInt(char* dst, size_t pos, size_t cap, unsigned v) {
    char digits[12];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < sizeof digits);
    return append(dst, pos, cap, digits + sizeof digits - n, n);
}

// "HH:MM:SS.mmm " in local time. The signal-safe variant uses the cached UTC offset instead
// of localtime_r (which may take a lock), so it can be off by an hour across a DST change.
size_t appendTime(char* dst, size_t pos, size_t cap, bool useLocaltime) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long secs;
    if (useLocaltime) {
        tm t;
        localtime_r(&ts.tv_sec, &t);
        g_utcOffset = t.tm_gmtoff;
        secs = t.tm_hour * 3600L + t.tm_min * 60L + t.tm_sec;
    } else {
        secs = static_cast<long>((ts.tv_sec + g_utcOffset) % 86400);
        if (secs < 0) secs += 86400;
    }
    char stamp[13] = {};
    long parts[3] = {secs / 3600, secs / 60 % 60, secs % 60};
    for (int i = 0; i < 3; ++i) {
        stamp[i * 3] = static_cast<char>('0' + parts[i] / 10);
        stamp[i * 3 + 1] = static_cast<char>('0' + parts[i] % 10);
        stamp[i * 3 + 2] = i < 2 ? ':' : '.';
    }
    long ms = ts.tv_nsec / 1000000;
    stamp[9] = static_cast<char>('0' + ms / 100);
    stamp[10] = static_cast<char>('0' + ms / 10 % 10);
    stamp[11] = static_cast<char>('0' + ms % 10);
    stamp[12] = ' ';
    return append(dst, pos, cap, stamp, sizeof stamp);
}

// "LEVEL process: <message prefix>text", the plain record after its time (or syslog head).
size_t appendPlainRecord(char* buf, size_t pos, size_t cap, Level l, const char* text, size_t len) {
    pos = appendStr(buf, pos, cap, kUpperNames[levelIndex(l)]);
    pos = append(buf, pos, cap, " ", 1);
    pos = append(buf, pos, cap, g_prefix, g_prefixLen);
    pos = append(buf, pos, cap, ": ", 2);
    pos = append(buf, pos, cap, g_msgPrefix, g_msgPrefixLen);
    return append(buf, pos, cap, text, len);
}

// Emits one finished message body (level + prefix + text) to the current target.
void emit(Level l, const char* text, size_t len, bool signalSafe, const char* file, int line) {
    char buf[kRecordMax];
    const bool syslog = g_target == Target::Syslog && g_syslog.isOpen();
    size_t pos = 0;
    const size_t cap = sizeof buf - 1;  // room for the newline
    if (syslog) {
        // RFC 3164 without a timestamp: the daemon stamps the reception time.
        pos = append(buf, pos, cap, "<", 1);
        pos = appendUInt(buf, pos, cap, static_cast<unsigned>(kFacility | levelIndex(l)));
        pos = append(buf, pos, cap, ">", 1);
        pos = appendStr(buf, pos, cap, g_ident);
        pos = append(buf, pos, cap, ": ", 2);
    }
    const size_t head = pos;
    if (g_format == Format::Json) {
        RecordFields f{};
        clock_gettime(CLOCK_REALTIME, &f.time);
        f.level = levelName(l);
        f.pid = g_pid;
        f.process = g_name;
        f.file = file;
        f.line = line;
        f.message = text;
        f.messageLen = len;
        f.prefix = g_msgPrefix;
        f.prefixLen = g_msgPrefixLen;
        pos += formatJsonRecord(f, buf + pos, sizeof buf - pos);
        if (syslog) {
            if (g_syslog.send(buf, pos - 1)) return;  // without the newline
            memmove(buf, buf + head, pos - head);
            pos -= head;
        }
        writeAll(g_fd, buf, pos);
        return;
    }
    if (syslog) {
        pos = appendPlainRecord(buf, pos, cap, l, text, len);
        if (g_syslog.send(buf, pos)) return;
        pos = 0;  // fall back to stderr below
    }
    pos = appendTime(buf, pos, cap, !signalSafe);
    pos = appendPlainRecord(buf, pos, cap, l, text, len);
    buf[pos++] = '\n';
    writeAll(g_fd, buf, pos);
}

void memSink(int level, const char* text) {
    if (level < static_cast<int>(Level::Err)) level = static_cast<int>(Level::Err);
    if (level > static_cast<int>(Level::Debug)) level = static_cast<int>(Level::Debug);
    Level l = static_cast<Level>(level);
    if (enabled(l)) write(l, "mem: %s", text);
}

}  // namespace

const char* levelName(Level l) {
    switch (l) {
        case Level::Err:
            return "err";
        case Level::Warn:
            return "warn";
        case Level::Notice:
            return "notice";
        case Level::Info:
            return "info";
        case Level::Debug:
            return "debug";
    }
    return "?";
}

bool parseLevel(std::string_view text, Level& out) {
    struct Name {
        std::string_view name;
        Level level;
    };
    static constexpr Name kNames[] = {
        {"err", Level::Err},      {"error", Level::Err},     {"warn", Level::Warn},
        {"warning", Level::Warn}, {"notice", Level::Notice}, {"info", Level::Info},
        {"debug", Level::Debug},  {"dbg", Level::Debug},     {"3", Level::Err},
        {"4", Level::Warn},       {"5", Level::Notice},      {"6", Level::Info},
        {"7", Level::Debug},
    };
    for (const Name& n : kNames) {
        if (n.name.size() != text.size()) continue;
        bool same = true;
        for (size_t i = 0; i < text.size() && same; ++i) {
            char c = text[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            same = c == n.name[i];
        }
        if (same) {
            out = n.level;
            return true;
        }
    }
    return false;
}

void init(Target target, Level level, const char* ident) {
    snprintf(g_ident, sizeof g_ident, "%s", ident ? ident : "osprey");
    setLevel(level);
    time_t now = time(nullptr);
    tm t;
    localtime_r(&now, &t);
    g_utcOffset = t.tm_gmtoff;
    g_target = target;
    if (target == Target::Syslog) {
        if (!g_syslog.open()) {
            g_target = Target::Stderr;
            write(Level::Warn, "syslog (/dev/log) is not available, logging to stderr");
        }
    } else {
        g_syslog.close();
    }
    if (g_pid != getpid()) setProcessName(g_name);
    mem::setLogSink(memSink);
}

void setLevel(Level l) {
    detail::g_level->store(static_cast<int>(l), std::memory_order_relaxed);
}

Level level() {
    return static_cast<Level>(detail::g_level->load(std::memory_order_relaxed));
}

void shareLevel(std::atomic<int>* slot) {
    slot->store(detail::g_level->load(std::memory_order_relaxed), std::memory_order_relaxed);
    detail::g_level = slot;
}

void unshareLevel() {
    detail::g_ownLevel.store(detail::g_level->load(std::memory_order_relaxed),
                             std::memory_order_relaxed);
    detail::g_level = &detail::g_ownLevel;
}

Target target() {
    return g_target;
}

void setProcessName(const char* name) {
    if (name != g_name) snprintf(g_name, sizeof g_name, "%s", name);
    g_pid = getpid();
    int n = snprintf(g_prefix, sizeof g_prefix, "%s[%d]", g_name, g_pid);
    g_prefixLen = n < 0 ? 0 : (static_cast<size_t>(n) < sizeof g_prefix ? n : sizeof g_prefix - 1);
}

const char* processName() {
    return g_name;
}

void setOutputFd(int fd) {
    g_fd = fd;
}

void setFormat(Format f) {
    g_format = f;
}

Format format() {
    return g_format;
}

bool parseFormat(std::string_view text, Format& out) {
    if (text == "text") {
        out = Format::Text;
        return true;
    }
    if (text == "json") {
        out = Format::Json;
        return true;
    }
    return false;
}

void setMessagePrefix(const char* text, size_t len) {
    if (len > sizeof g_msgPrefix) len = sizeof g_msgPrefix;
    memcpy(g_msgPrefix, text, len);
    g_msgPrefixLen = len;
}

void clearMessagePrefix() {
    g_msgPrefixLen = 0;
}

bool hasMessagePrefix() {
    return g_msgPrefixLen != 0;
}

void vwrite(Level l, const char* fmt, va_list ap) {
    vwriteAt(l, nullptr, 0, fmt, ap);
}

void vwriteAt(Level l, const char* file, int line, const char* fmt, va_list ap) {
    char text[kLineMax];
    int n = vsnprintf(text, sizeof text, fmt, ap);
    if (n < 0) return;
    size_t len = static_cast<size_t>(n);
    if (len >= sizeof text) {
        len = sizeof text - 1;
        memcpy(text + len - 3, "...", 3);  // say it was cut
    }
    emit(l, text, len, false, file, line);
}

void writeAt(Level l, const char* file, int line, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwriteAt(l, file, line, fmt, ap);
    va_end(ap);
}

void write(Level l, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwrite(l, fmt, ap);
    va_end(ap);
}

void writeRaw(Level l, const char* text, size_t len) {
    if (len > kLineMax) len = kLineMax;
    emit(l, text, len, true, nullptr, 0);
}

}  // namespace osprey::log
