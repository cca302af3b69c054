// Headers whose value is kept as text: Call-ID (RFC 3261 §20.8, checked to be word["@"word]),
// User-Agent, Server, Subject, Organization ... (any TEXT-UTF8, checked for control octets),
// and Date (RFC 3261 §20.17: rfc1123-date, "GMT" only, RFC 4475 3.1.2.12).
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

// Validates a text header (cached as Parsed / Bad). Returns false on error.
bool parseTextHeader(SipMsg& msg, HeaderField& h);

// The first Call-ID (found and checked on demand); empty if absent or bad.
std::string_view getCallId(SipMsg& msg);
std::string_view getUserAgent(SipMsg& msg);

}  // namespace osprey::sip
