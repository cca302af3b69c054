// Header lines a module adds to each copy of a request the router sends, written once that
// copy's outgoing socket is known (what Kamailio does with lumps substituted at send time).
// rr's Record-Route is the user: its URI names the interface the request leaves from, and
// with double Record-Route (RFC 5658) it depends on whether that differs from the interface
// the request came in on — neither is known when the script calls record_route().
//
// A hook is a plain function plus an argument (usually state in the message's arena); up to
// kMaxCopyHooks per message, none allocated. Every forwarder (stateless forward, tm's
// branches) calls applyCopyHooks on the built copy before sending it; a message without hooks
// costs one comparison.
//
//     bool myLines(MsgContext& mc, const CopyTarget& t, void* arg, std::string_view* lines);
//     addCopyHook(mc, &myLines, state);                  // from a KSR function
//     ... forwarder: applyCopyHooks(mc, target, built, &withLines)   // spans
//                or copyLines(mc, target, &lines)                    // its own buffer
// Forwarders also pick the socket with MsgContext::forceSocket as the preferred one (rr's
// loose_route sets it for double Record-Route).
#pragma once
#include <string_view>

#include "core/net/endpoint.h"
#include "core/sip/builder_output.h"

namespace osprey::net {
struct ListenSocket;
}
namespace osprey::sip {
struct SipMsg;
}

namespace osprey::route {

struct MsgContext;

struct CopyTarget {
    const net::ListenSocket* in = nullptr;   // socket the request arrived on (nullptr: none)
    const net::ListenSocket* out = nullptr;  // socket this copy leaves from
    const net::Destination* dest = nullptr;  // where it goes
};

// Sets *lines to complete header lines (each ending in CRLF; empty: none) kept in msg.arena.
// False: the copy must not be sent (out of memory, bad state); the forwarder reports 500.
using CopyLinesFn = bool (*)(MsgContext& mc, const CopyTarget& t, void* arg,
                             std::string_view* lines);

struct CopyHook {
    CopyLinesFn fn = nullptr;
    void* arg = nullptr;
};
inline constexpr unsigned kMaxCopyHooks = 4;

// Adds a hook for this message; false when kMaxCopyHooks are set already.
bool addCopyHook(MsgContext& mc, CopyLinesFn fn, void* arg);
// The argument of the hook fn set for this message, nullptr when there is none.
void* findCopyHook(const MsgContext& mc, CopyLinesFn fn);

// Runs the message's hooks for this copy: *lines = their lines joined (in msg.arena; empty
// when none), for forwarders that write the copy out themselves (tm's branches: put them
// right after the request line). False when a hook failed or out of memory.
bool copyLines(MsgContext& mc, const CopyTarget& t, std::string_view* lines);

// Runs the message's hooks for this copy and puts their lines right after the start line
// (above every header, so a Record-Route lands above those of earlier hops). With no hooks,
// *out = built. False when a hook failed or out of memory.
bool applyCopyHooks(MsgContext& mc, const CopyTarget& t, const sip::OutSpans& built,
                    sip::OutSpans* out);

// The splice itself: text inserted after the start line's terminator in `built`.
bool spliceAfterStartLine(sip::SipMsg& msg, const sip::OutSpans& built, std::string_view text,
                          sip::OutSpans* out);

}  // namespace osprey::route
