// Route, Record-Route and Path (RFC 3261 §20.30, §20.34; RFC 3327): comma lists of name-addr.
// One header line gives a list linked by next; walk further lines with nextHeader().
#pragma once
#include "core/sip/name_addr.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct RouteBody {
    NameAddr addr;
    RouteBody* next = nullptr;
};

const RouteBody* parseRoute(SipMsg& msg, HeaderField& h);  // (cached)

}  // namespace osprey::sip
