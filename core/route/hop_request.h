// The requests a proxy sends for a branch it forwarded statefully, built from that branch's
// request as sent: CANCEL (RFC 3261 §9.1) and the ACK for a non-2xx final reply (§17.1.1.3).
// Both carry the sent request's Request-URI, its top Via (ours) alone, its Route lines, From,
// Call-ID and CSeq number with their own method; the ACK takes To from the reply (its tag),
// the CANCEL the request's.
#pragma once
#include <string_view>

#include "core/sip/builder_output.h"

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::route {

// sent: the branch's request as sent, parsed (sip::parseMsg). toLine: the whole To header line
// (CRLF included) for an ACK; empty: the sent request's. The spans point into sent.data, toLine
// and sent.arena. False when the sent request lacks a header they need, or out of memory.
bool buildHopRequest(sip::SipMsg& sent, std::string_view method, std::string_view toLine,
                     sip::OutSpans* out);

}  // namespace osprey::route
