// What the core checks on every message before any script sees it (docs/design.md §4; RFC 3261
// §16.3 step 1 "reasonable syntax", §8.2.2 for what a request must carry): the start line and
// top Via (parseMsg), the whole header section scans, To/From/Call-ID/CSeq/Via are present,
// single-instance headers appear once, CSeq parses and (requests) names the request's method,
// Max-Forwards parses, the Request-URI parses (unknown scheme: 416), Content-Length fits the
// datagram. On failure msg.error says what and where.
//
// Deliberately lighter than sip::checkMessage: the From/To values are not parsed here (a
// stateless proxy does not look at them; the sanity module checks them for scripts that want
// it, and whatever parses them later copes with an error), which keeps their cost off the
// forwarding path.
#pragma once

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::route {

bool basicCheck(sip::SipMsg& msg);

}  // namespace osprey::route
