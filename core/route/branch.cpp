// Stateless branch computation (RFC 3261 §16.11).
#include "core/route/branch.h"

#include <sys/random.h>
#include <unistd.h>

#include <ctime>

#include "core/hash/fnv1a.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/text.h"
#include "core/sip/text_header.h"
#include "core/sip/via.h"

namespace osprey::route {

namespace {

uint64_t drawSalt() {
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof s)) {
        s = static_cast<uint64_t>(time(nullptr)) * 0x9e3779b97f4a7c15ULL ^
            static_cast<uint64_t>(getpid());
    }
    return s;
}

// Drawn at program start, i.e. in the master: every forked worker has the same.
const uint64_t kSalt = drawSalt();

uint64_t mix(uint64_t h, std::string_view s) {
    // 0xff ends each field, so ("ab","c") and ("a","bc") differ.
    return hash::fnv1a64("\xff", hash::fnv1a64(s, h));
}

uint64_t finish(uint64_t h) {
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ULL;
    h ^= h >> 27;
    h *= 0x81dadef4bc2dd44dULL;
    h ^= h >> 33;
    return h;
}

void hex(uint64_t v, unsigned digits, char* out) {
    for (unsigned i = digits; i-- > 0;) {
        out[i] = sip::kHexDigits[v & 15];
        v >>= 4;
    }
}

}  // namespace

std::string_view statelessBranch(sip::SipMsg& msg, std::string_view nextHop, char* out) {
    uint64_t h1 = hash::kFnv64Offset ^ kSalt;
    const sip::ViaBody* top = msg.topVia;
    if (top != nullptr && sip::viaBranchIsRfc3261(*top)) {
        h1 = mix(h1, top->branch);
    } else {
        if (top != nullptr) h1 = mix(h1, top->text);
        const sip::FromToBody* to = sip::getTo(msg);
        const sip::FromToBody* from = sip::getFrom(msg);
        const sip::CSeqBody* cseq = sip::getCSeq(msg);
        h1 = mix(h1, to != nullptr ? to->tag : std::string_view());
        h1 = mix(h1, from != nullptr ? from->tag : std::string_view());
        h1 = mix(h1, sip::getCallId(msg));
        char num[12];
        const uint32_t n = cseq != nullptr ? cseq->number : 0;
        hex(n, 8, num);
        h1 = mix(h1, std::string_view(num, 8));
        h1 = mix(h1, msg.start.uri);
    }
    const uint64_t h2 = mix(0x84222325cbf29ce4ULL ^ kSalt, nextHop);
    char* w = out;
    for (char c : std::string_view("z9hG4bKsl")) *w++ = c;
    hex(finish(h1), 16, w);
    hex(finish(h2) >> 32, 8, w + 16);
    return {out, kStatelessBranchLen};
}

}  // namespace osprey::route
