// The INVITE the pseudo-variable tests and the pv benchmark read: every header a pv of the
// list maps to, in a mix of full and compact forms.
#pragma once
#include <string_view>

namespace osprey::testsupport {

inline constexpr std::string_view kPvInvite =
    "INVITE sip:bob@example.com:5070;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
    "From: \"Alice A\" <sip:alice@atlanta.example.com>;tag=ft1\r\n"
    "t: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: call-1@192.0.2.1\r\n"
    "CSeq: 42 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.1>\r\n"
    "User-Agent: tester/1.0\r\n"
    "Proxy-Authorization: Digest username=\"alice@atlanta.example.com\", realm=\"atlanta\", "
    "nonce=\"n\", uri=\"sip:bob@example.com\", response=\"00\"\r\n"
    "X-Custom: custom value\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 4\r\n\r\nbody";

}  // namespace osprey::testsupport
