// From and To (RFC 3261 §20.20, §20.39): a single name-addr with tag and other parameters.
#pragma once
#include <string_view>

#include "core/sip/name_addr.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct FromToBody {
    NameAddr addr;
    std::string_view tag;  // empty when absent (To of an initial request)
};

// Parses a From or To header (cached). nullptr on error; several values is MultipleValues.
const FromToBody* parseFromTo(SipMsg& msg, HeaderField& h);

// First From / To of the message, found and parsed on demand; nullptr if absent or bad.
const FromToBody* getFrom(SipMsg& msg);
const FromToBody* getTo(SipMsg& msg);

}  // namespace osprey::sip
