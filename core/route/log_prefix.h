// log_prefix (Kamailio's core parameter of the same name): a text with pseudo-variables, e.g.
//   log_prefix = "{$rm $ci} ";
// evaluated once per received message, after parsing, and put at the start of every log line
// written while that message is processed (core/log/log.h's message prefix), and for a failure
// route the timer process runs on a timeout (modules/tm/routes.cpp). Literal text and
// any pv the pv engine resolves ($ci, $rm, $fu, $hdr(Name), $var(x), ...); an absent value
// prints as "<null>". Unset, a message costs one predictable branch (MessageLogPrefix).
#pragma once
#include <string>

namespace osprey::route {

struct MsgContext;

namespace detail {
extern bool g_logPrefixActive;
void applyLogPrefix(MsgContext& mc) noexcept;
bool prefixSet() noexcept;
void clearLogPrefix() noexcept;
}  // namespace detail

// Parses the format; false with *error saying which pv is unknown. An empty text switches the
// prefix off. Called once in the master before fork.
bool setLogPrefix(const std::string& format, std::string* error);

// The prefix for the lines about one message: set at construction, cleared at destruction.
// Only the outermost one acts: a failure route that a reply triggers runs inside the reply's
// handling and keeps the reply's prefix (same Call-ID); one the timer process runs on a timeout
// gets its own.
class MessageLogPrefix {
public:
    explicit MessageLogPrefix(MsgContext& mc) noexcept
        : on_(detail::g_logPrefixActive && !detail::prefixSet()) {
        if (on_) [[unlikely]]
            detail::applyLogPrefix(mc);
    }
    ~MessageLogPrefix() {
        if (on_) [[unlikely]]
            detail::clearLogPrefix();
    }
    MessageLogPrefix(const MessageLogPrefix&) = delete;
    MessageLogPrefix& operator=(const MessageLogPrefix&) = delete;

private:
    bool on_;
};

}  // namespace osprey::route
