// Contact (RFC 3261 §20.10, §10.2.1.1 "*"; RFC 5626 +sip.instance and reg-id): "*" or a list
// of name-addr values, each with expires and q picked out.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/name_addr.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct ContactValue {
    NameAddr addr;
    bool hasExpires = false;
    uint32_t expires = 0;  // RFC 3261 §10.2.1.1; values above 2**32-1 are an error
    bool hasQ = false;
    uint16_t q = 1000;          // q-value times 1000 (0..1000)
    std::string_view instance;  // +sip.instance value as written (quoted "<urn:...>")
    bool hasRegId = false;
    uint32_t regId = 0;
    ContactValue* next = nullptr;
};

struct ContactBody {
    bool star = false;  // "Contact: *" (only valid in REGISTER with Expires: 0)
    uint32_t count = 0;
    ContactValue* first = nullptr;
};

const ContactBody* parseContact(SipMsg& msg, HeaderField& h);  // one header line (cached)

}  // namespace osprey::sip
