// Local replies to a received request (RFC 3261 §8.2.6): a new status line, the request's
// Via lines, From, To, Call-ID and CSeq copied as spans of the received buffer (no copy),
// Record-Route copied for responses that establish a dialog (§12.1.1), a To tag added when
// the request had none (not for 100, §8.2.6.2), extra headers, Content-Length and a body.
//
//     ReplyOptions opt;
//     opt.srcIp = "192.0.2.7"; opt.srcPort = 5060;   // received/rport on the top Via
//     OutSpans out;
//     if (buildReply(msg, 404, "Not Found", opt, out) == BuildError::Ok) sendmsg(...);
//
// Works on requests that failed to parse further on (to send their 400): it copies the
// headers the scan reached. A top Via that parses is the one thing it cannot do without
// (NoVia: RFC 3261 §18.2.2 routes the response by it).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/builder_output.h"

namespace osprey::sip {

struct SipMsg;

struct ReplyOptions {
    std::string_view toTag;         // used when To has no tag; empty: derived (see below)
    std::string_view extraHeaders;  // complete header lines ("Name: value\r\n..."), as given
    std::string_view body;
    std::string_view contentType;  // sent when there is a body
    std::string_view srcIp;        // source of the request: received/rport on the top Via
    uint16_t srcPort = 0;
};

// Spans live in req.arena until req.reset(). The reason phrase falls back to the standard one
// when empty or when it holds control characters.
BuildError buildReply(SipMsg& req, uint16_t status, std::string_view reason,
                      const ReplyOptions& opt, OutSpans& out);

// The RFC 3261 §21 phrase for a status code ("Not Found"); a class phrase for unknown codes.
std::string_view defaultReasonPhrase(uint16_t status);

// The To tag a local reply adds: a hash of the request's Call-ID, From, CSeq and top Via
// branch with a per-process random salt, so a retransmitted request gets the same tag and
// different requests different ones (RFC 3261 §19.3 asks for 32 random bits at least).
// Writes 16 hex digits to out and returns them as a view.
std::string_view localToTag(SipMsg& req, char out[16]);

}  // namespace osprey::sip
