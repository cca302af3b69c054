// spliceTopVia.
#include "core/route/via_splice.h"

#include <cstring>

#include "core/sip/msg.h"

namespace osprey::route {

bool spliceTopVia(sip::SipMsg& msg, const sip::OutSpans& built, std::string_view viaPrefix,
                  std::string_view branch, sip::OutSpans* out) {
    const sip::HeaderField* via = sip::findHeader(msg, sip::HeaderKind::Via);
    if (via == nullptr) return false;
    const size_t lineLen = viaPrefix.size() + branch.size() + 2;
    char* line = static_cast<char*>(msg.arena.alloc(lineLen));
    auto* iov = static_cast<iovec*>(msg.arena.alloc(sizeof(iovec) * (built.count + 2)));
    if (line == nullptr || iov == nullptr) return false;
    std::memcpy(line, viaPrefix.data(), viaPrefix.size());
    std::memcpy(line + viaPrefix.size(), branch.data(), branch.size());
    std::memcpy(line + viaPrefix.size() + branch.size(), "\r\n", 2);

    // Spans that point into the received buffer are runs of original text (edit texts live in
    // the arena); the run holding the Via line's first octet is split there.
    const char* data = msg.data.data();
    const char* target = data + via->start;
    uint32_t n = 0;
    bool placed = false;
    for (uint32_t i = 0; i < built.count; ++i) {
        const char* base = static_cast<const char*>(built.iov[i].iov_base);
        const size_t len = built.iov[i].iov_len;
        const bool original = base >= data && base + len <= data + msg.data.size();
        if (!placed && original && base <= target && target < base + len) {
            if (target > base) iov[n++] = iovec{const_cast<char*>(base), size_t(target - base)};
            iov[n++] = iovec{line, lineLen};
            iov[n++] = iovec{const_cast<char*>(target), size_t(base + len - target)};
            placed = true;
            continue;
        }
        iov[n++] = built.iov[i];
    }
    if (!placed) return false;
    out->iov = iov;
    out->count = n;
    out->bytes = built.bytes + lineLen;
    return true;
}

}  // namespace osprey::route
