// SIP unit tests: wraps one header line in a minimal request so a header parser can be
// exercised through the real scanner (the buffer stays alive with the message).
#pragma once
#include <memory>
#include <string>

#include "core/sip/msg.h"
#include "test/unit/sip_test_pkg.h"

namespace osprey::sip::test {

struct OneHeader {
    std::string buf;
    SipMsg msg;
    HeaderField* h = nullptr;
};

// `line` is "Name: value" (folding allowed, no final CRLF). The Via of the wrapper comes after
// it, so a Via under test is the top Via. h is the first header (the one under test).
inline std::unique_ptr<OneHeader> oneHeader(const std::string& line) {
    auto o = std::make_unique<OneHeader>();
    o->buf = "OPTIONS sip:a@example.com SIP/2.0\r\n" + line +
             "\r\nVia: SIP/2.0/UDP wrapper.example.com;branch=z9hG4bKw\r\n\r\n";
    if (parseMsg(o->msg, o->buf) && parseHeaders(o->msg, HDR_EOH) && o->msg.headerCount() > 0)
        o->h = &o->msg.header(0);
    return o;
}

}  // namespace osprey::sip::test
