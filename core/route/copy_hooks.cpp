// Per-copy header lines (copy_hooks.h).
#include "core/route/copy_hooks.h"

#include <cstring>

#include "core/route/msg_context.h"
#include "core/sip/msg.h"

namespace osprey::route {

bool addCopyHook(MsgContext& mc, CopyLinesFn fn, void* arg) {
    if (fn == nullptr || mc.copyHookCount >= kMaxCopyHooks) return false;
    mc.copyHooks[mc.copyHookCount++] = CopyHook{fn, arg};
    return true;
}

void* findCopyHook(const MsgContext& mc, CopyLinesFn fn) {
    for (unsigned i = 0; i < mc.copyHookCount; ++i) {
        if (mc.copyHooks[i].fn == fn) return mc.copyHooks[i].arg;
    }
    return nullptr;
}

bool spliceAfterStartLine(sip::SipMsg& msg, const sip::OutSpans& built, std::string_view text,
                          sip::OutSpans* out) {
    // The start line's terminator is never edited (a new Request-URI replaces the line
    // without it), so the span holding its last octet is original text ending at or after
    // the first header.
    const std::string_view data = msg.data;
    size_t term = msg.offsetOf(msg.start.text) + msg.start.text.size();
    if (term >= data.size()) return false;
    const size_t target = term + (data[term] == '\r' && term + 1 < data.size() ? 2 : 1);
    const char* last = data.data() + target - 1;
    auto* iov = static_cast<iovec*>(msg.arena.alloc(sizeof(iovec) * (built.count + 2)));
    if (iov == nullptr) return false;
    uint32_t n = 0;
    bool placed = false;
    for (uint32_t i = 0; i < built.count; ++i) {
        const char* base = static_cast<const char*>(built.iov[i].iov_base);
        const size_t len = built.iov[i].iov_len;
        if (!placed && base <= last && last < base + len) {
            const size_t head = static_cast<size_t>(last + 1 - base);
            iov[n++] = iovec{const_cast<char*>(base), head};
            iov[n++] = iovec{const_cast<char*>(text.data()), text.size()};
            if (head < len) iov[n++] = iovec{const_cast<char*>(base + head), len - head};
            placed = true;
            continue;
        }
        iov[n++] = built.iov[i];
    }
    if (!placed) return false;
    out->iov = iov;
    out->count = n;
    out->bytes = built.bytes + text.size();
    return true;
}

bool copyLines(MsgContext& mc, const CopyTarget& t, std::string_view* lines) {
    *lines = {};
    if (mc.copyHookCount == 0) return true;
    std::string_view parts[kMaxCopyHooks];
    size_t total = 0;
    unsigned used = 0;
    for (unsigned i = 0; i < mc.copyHookCount; ++i) {
        if (!mc.copyHooks[i].fn(mc, t, mc.copyHooks[i].arg, &parts[i])) return false;
        total += parts[i].size();
        if (!parts[i].empty()) {
            *lines = parts[i];
            ++used;
        }
    }
    if (used < 2) return true;
    char* joined = static_cast<char*>(mc.msg.arena.alloc(total));
    if (joined == nullptr) return false;
    size_t len = 0;
    for (unsigned i = 0; i < mc.copyHookCount; ++i) {
        if (parts[i].empty()) continue;
        std::memcpy(joined + len, parts[i].data(), parts[i].size());
        len += parts[i].size();
    }
    *lines = std::string_view(joined, len);
    return true;
}

bool applyCopyHooks(MsgContext& mc, const CopyTarget& t, const sip::OutSpans& built,
                    sip::OutSpans* out) {
    std::string_view lines;
    if (!copyLines(mc, t, &lines)) return false;
    if (lines.empty()) {
        *out = built;
        return true;
    }
    return spliceAfterStartLine(mc.msg, built, lines, out);
}

}  // namespace osprey::route
