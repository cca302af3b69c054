// CSeq (RFC 3261 §20.16): a 32-bit sequence number and a method.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/method.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct CSeqBody {
    uint32_t number = 0;  // RFC 3261 §8.1.1.5: less than 2**31 when generated; 32 bits accepted
    Method method = Method::Other;
    std::string_view methodText;
};

const CSeqBody* parseCSeq(SipMsg& msg, HeaderField& h);
const CSeqBody* getCSeq(SipMsg& msg);  // first CSeq, found and parsed on demand

}  // namespace osprey::sip
