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

}  // namespace osprey::route
