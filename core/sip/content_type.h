// Content-Type (RFC 3261 §20.15, compact "c"): type "/" subtype with parameters. The body is
// never parsed; boundary is picked out so tools can see a multipart body is one.
#pragma once
#include <string_view>

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct ContentTypeBody {
    std::string_view type;      // "application"
    std::string_view subtype;   // "sdp"
    std::string_view params;    // raw list without the leading ';'
    std::string_view boundary;  // multipart boundary without quotes, empty when absent
};

const ContentTypeBody* parseContentType(SipMsg& msg, HeaderField& h);
const ContentTypeBody* getContentType(SipMsg& msg);

}  // namespace osprey::sip
