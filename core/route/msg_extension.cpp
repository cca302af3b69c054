// The message extensions of this run (msg_extension.h).
#include "core/route/msg_extension.h"

namespace osprey::route {

namespace {

const MsgExtension* g_ext[kMaxMsgExtensions];
unsigned g_count = 0;

}  // namespace

bool installMsgExtensions(std::span<const MsgExtension* const> all) {
    if (all.size() > kMaxMsgExtensions) return false;
    g_count = 0;
    for (const MsgExtension* e : all) g_ext[g_count++] = e;
    return true;
}

std::span<const MsgExtension* const> msgExtensions() {
    return {g_ext, g_count};
}

}  // namespace osprey::route
