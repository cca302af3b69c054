// libFuzzer target: dns::minAnswerTtl (core/dns/answer_ttl.h) on arbitrary DNS messages, which
// a name server (or whoever spoofs one) controls. Octet 0 picks the record type asked for; the
// rest is the message. Invariants: no read outside the message (ASan), a found TTL has the top
// bit clear (RFC 2181 §8), the answer does not depend on octets after the message, and the
// same input gives the same answer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/dns/answer_ttl.h"

namespace {

void failIf(bool bad, const char* what) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static const uint16_t kTypes[] = {1, 28, 33, 35, 5, 0, 255, 0xFFFF};
    const uint16_t type = kTypes[data[0] & 7];
    // A copy of exactly the message's length, so ASan sees any read past its end.
    std::vector<unsigned char> msg(data + 1, data + size);
    uint32_t ttl = 0;
    const bool found = osprey::dns::minAnswerTtl(msg.data(), msg.size(), type, &ttl);
    failIf(found && (ttl & 0x80000000u) != 0, "TTL with the top bit set");
    uint32_t again = 0;
    failIf(osprey::dns::minAnswerTtl(msg.data(), msg.size(), type, &again) != found ||
               (found && again != ttl),
           "a second call answers differently");
    msg.push_back(0xC0);  // trailing octets are not part of the message
    uint32_t padded = 0;
    failIf(osprey::dns::minAnswerTtl(msg.data(), msg.size() - 1, type, &padded) != found ||
               (found && padded != ttl),
           "the answer depends on octets after the message");
    return 0;
}
