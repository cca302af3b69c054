// Event (RFC 6665 §8.2.1, compact "o"): an event package token with parameters, id picked out.
#pragma once
#include <string_view>

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct EventBody {
    std::string_view type;    // "presence", "dialog", "reg", "message-summary" ...
    std::string_view id;      // ";id=" value, empty when absent
    std::string_view params;  // raw list without the leading ';'
};

const EventBody* parseEvent(SipMsg& msg, HeaderField& h);

}  // namespace osprey::sip
