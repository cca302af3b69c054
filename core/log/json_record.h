// One log record as a JSON object on one line (log_format = "json"):
//   {"time":"2026-12-06T05:16:25.123Z","level":"notice","pid":42,"process":"sip#0",
//    "module":"tm","file":"modules/tm/t_reply.cpp","line":120,"message":"...","prefix":"..."}
// time is RFC 3339 in UTC with milliseconds; module is the module's name for modules/<name>/,
// "script" for a Lua script, "mem" for mem/, "core" otherwise; prefix only when log_prefix gave
// one. Strings are escaped per RFC 8259 (quote, backslash, control characters) and bytes that
// are not valid UTF-8 become U+FFFD, so every line parses whatever a peer put in a header.
// Everything here is async-signal-safe (no locks, no allocation, no locale): the crash handler's
// lines go the same way.
#pragma once
#include <cstddef>
#include <ctime>

namespace osprey::log {

struct RecordFields {
    timespec time;
    const char* level;  // "err", ...
    int pid;
    const char* process;  // "sip#0"
    const char* file;     // "" when unknown
    int line;             // 0 when unknown
    const char* message;
    size_t messageLen;
    const char* prefix;  // nullptr / empty: no prefix field
    size_t prefixLen;
};

// Writes the record and a newline into dst (cap bytes); returns the length. The record is
// always a complete object: a message too long for cap is cut (at a character boundary) and
// ends in "...".
size_t formatJsonRecord(const RecordFields& f, char* dst, size_t cap);

// "modules/tm/x.cpp" -> "tm", "x.lua" -> "script", "mem/..." -> "mem", else "core". Writes into
// out (cap bytes, NUL-terminated) and returns out.
const char* moduleOfFile(const char* file, char* out, size_t cap);

// "2026-12-06T05:16:25.123Z" (24 bytes, no NUL) into out.
void formatRfc3339Utc(const timespec& t, char out[24]);

}  // namespace osprey::log
