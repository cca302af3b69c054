// Logging for every Osprey process. The level is checked before any formatting (the LM_*
// macros skip the call and its argument evaluation entirely), each line carries the process's
// prefix (rank and pid), and lines go to stderr (-E) or syslog, as text or as one JSON object
// per line (log_format = "json": core/log/json_record.h). Each record leaves in one write()
// (at most PIPE_BUF bytes), so records of concurrent processes never interleave. While a
// message is being processed, the log_prefix evaluated for it (core/route/log_prefix.h) starts
// every line. writeRaw is the async-signal-safe path the crash handler uses.
#pragma once
#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <string_view>

namespace osprey::log {

// syslog's numbers, so mem's sink levels (LOG_ERR..LOG_DEBUG) map one to one.
enum class Level : int { Err = 3, Warn = 4, Notice = 5, Info = 6, Debug = 7 };

enum class Target { Stderr, Syslog };
enum class Format { Text, Json };

namespace detail {
// The level every LM_* checks: this process's own until shareLevel() points it into shm.
extern std::atomic<int>* g_level;
}  // namespace detail

inline bool enabled(Level l) {
    return static_cast<int>(l) <= detail::g_level->load(std::memory_order_relaxed);
}

const char* levelName(Level l);  // "err", "warn", "notice", "info", "debug"
// Accepts the config spellings (err|warn|notice|info|debug, also error/warning, 3..7).
bool parseLevel(std::string_view text, Level& out);

// Sets target, level and the syslog ident. Safe to call again (e.g. after the config is read
// or after daemonizing). Also installs the logger as mem's log sink.
void init(Target target, Level level, const char* ident = "osprey");
void setLevel(Level l);
Level level();
// Master, before fork: the level lives in `slot` (in shm, set to the current level) from now
// on, so a change one process makes (RPC cfg.set core debug) holds for every process.
void shareLevel(std::atomic<int>* slot);
// Back to this process's own level (with the shared value), before the shm slot goes away.
void unshareLevel();
Target target();
void setFormat(Format f);
Format format();
// "text" | "json"; false for anything else.
bool parseFormat(std::string_view text, Format& out);

// The per-process prefix, e.g. "master" or "sip#2"; the current pid is taken at this call,
// so call it again in a child right after fork.
void setProcessName(const char* name);
const char* processName();

// Where stderr-target lines go (default 2). Tests point it at a pipe.
void setOutputFd(int fd);

// The per-message prefix (log_prefix), copied; it starts every line until cleared. The
// message loop sets it once per message and clears it when the message is done.
void setMessagePrefix(const char* text, size_t len);
void clearMessagePrefix();
bool hasMessagePrefix();

void write(Level l, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vwrite(Level l, const char* fmt, va_list ap);
// The same with the source position (the LM_* macros pass __FILE__ and __LINE__; a Lua KSR.log
// passes the script's): JSON records carry file, line and the module derived from the file.
void writeAt(Level l, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
void vwriteAt(Level l, const char* file, int line, const char* fmt, va_list ap);

// Async-signal-safe: writes `text` as one line with the level and process prefix, without
// formatting, locks or allocation (syslog target: a datagram on the already open socket).
void writeRaw(Level l, const char* text, size_t len);

}  // namespace osprey::log

#define LM_LOG(lvl, ...)                                                  \
    do {                                                                  \
        if (::osprey::log::enabled(lvl))                                  \
            ::osprey::log::writeAt(lvl, __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
#define LM_ERR(...) LM_LOG(::osprey::log::Level::Err, __VA_ARGS__)
#define LM_WARN(...) LM_LOG(::osprey::log::Level::Warn, __VA_ARGS__)
#define LM_NOTICE(...) LM_LOG(::osprey::log::Level::Notice, __VA_ARGS__)
#define LM_INFO(...) LM_LOG(::osprey::log::Level::Info, __VA_ARGS__)
#define LM_DBG(...) LM_LOG(::osprey::log::Level::Debug, __VA_ARGS__)
