// Headers whose value is one decimal number: Max-Forwards (0..255, RFC 3261 §20.22),
// Content-Length (32 bits, §20.14), Expires and Min-Expires (delta-seconds, 32 bits, §20.19).
// Leading zeros are fine ("0068", RFC 4475 3.1.1.1); signs and overflow are errors
// (RFC 4475 3.1.2.3, 3.1.2.4).
#pragma once
#include <cstdint>

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct NumberBody {
    uint32_t value = 0;
};

const NumberBody* parseNumberHeader(SipMsg& msg, HeaderField& h);

// First instance, found and parsed on demand; nullptr if absent or bad (check msg.error).
const NumberBody* getMaxForwards(SipMsg& msg);
const NumberBody* getContentLength(SipMsg& msg);
const NumberBody* getExpires(SipMsg& msg);

}  // namespace osprey::sip
