// Header lines a module adds to each copy of a request the router sends, written once that
// copy's outgoing socket is known (what Kamailio does with lumps substituted at send time).
// rr's Record-Route is the user: its URI names the interface the request leaves from, and
// with double Record-Route (RFC 5658) it depends on whether that differs from the interface
// the request came in on — neither is known when the script calls record_route().
//
// A hook is a plain function plus an argument (usually state in the message's arena); up to
// kMaxCopyHooks per message, none allocated. route::buildRequest (out_request.h), which builds
// every copy the router sends, puts their lines right after the request line; a message
// without hooks costs one comparison.
//
//     bool myLines(MsgContext& mc, const CopyTarget& t, void* arg, std::string_view* lines);
//     addCopyHook(mc, &myLines, state);                  // from a KSR function
// The socket is chosen with MsgContext::forceSocket as the preferred one (rr's loose_route
// sets it for double Record-Route).
#pragma once
#include <string_view>

#include "core/net/endpoint.h"

namespace osprey::net {
struct ListenSocket;
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
// when none). False when a hook failed or out of memory.
bool copyLines(MsgContext& mc, const CopyTarget& t, std::string_view* lines);

}  // namespace osprey::route
