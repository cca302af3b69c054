// NG protocol requests and replies (rtpengine's control protocol: a bencoded dictionary after
// the cookie). What goes in a request for each operation, whose tag is the from-tag (Kamailio's
// rule, so rtpengine sees the same session either way), and what a reply means.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "modules/rtpengine/bencode.h"
#include "modules/rtpengine/ng_flags.h"

namespace osprey::rtpengine {

enum class Op : uint8_t { Offer, Answer, Delete, Query, Ping, List };

const char* opName(Op op);  // "offer", "answer", ... (the NG command)

// What the message contributes.
struct CallInfo {
    std::string_view callId;
    std::string_view fromTag;  // the From header's tag
    std::string_view toTag;    // the To header's tag (empty before the callee answered)
    std::string_view sdp;      // offer/answer only
    // The message's source address (no brackets): sent as "received-from" with an offer or
    // answer unless the flags name one, as Kamailio does, so "SIP-source-address" means the
    // address the message really came from.
    std::string_view receivedFrom;
    bool request = true;
};

enum class BuildResult : uint8_t { Ok, NoToTag, TooBig };

// Writes the whole request dictionary. An answer (or an offer in a reply) from the callee's
// side names the callee's tag as from-tag, so it needs a To tag (NoToTag without one).
BuildResult buildCommand(Op op, const CallInfo& call, const NgFlags& flags, bencode::Writer& w);

// A decoded reply.
struct NgReply {
    std::string_view result;       // "ok", "pong", "error", ...
    std::string_view errorReason;  // with "error"
    std::string_view warning;
    std::string_view sdp;  // the rewritten session description (offer/answer)
    const bencode::Node* root = nullptr;
};

// False when the reply is not a bencoded dictionary with a "result" string.
bool parseReply(std::string_view body, std::span<bencode::Node> nodes, NgReply& out);

// Kamailio's $rtpstat text from a query reply's "totals":
// "RTP: <b> bytes, <p> packets, <e> errors; RTCP: <b> bytes, <p> packets, <e> errors"
// (-1 for a missing value). Returns the length written into out (0 when there are no totals).
size_t rtpstatText(std::span<const bencode::Node> nodes, const NgReply& reply, char* out,
                   size_t cap);

}  // namespace osprey::rtpengine
