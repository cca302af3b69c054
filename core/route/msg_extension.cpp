// The message extensions of this run (msg_extension.h).
#include "core/route/msg_extension.h"

namespace osprey::route {

namespace {

const MsgExtension* g_ext[kMaxMsgExtensions];
unsigned g_count = 0;
// The dropSource hooks alone, so a message pays nothing when no module has one.
bool (*g_drop[kMaxMsgExtensions])(const net::RecvInfo&);
unsigned g_dropCount = 0;

}  // namespace

bool installMsgExtensions(std::span<const MsgExtension* const> all) {
    if (all.size() > kMaxMsgExtensions) return false;
    g_count = 0;
    g_dropCount = 0;
    for (const MsgExtension* e : all) {
        g_ext[g_count++] = e;
        if (e->dropSource != nullptr) g_drop[g_dropCount++] = e->dropSource;
    }
    return true;
}

std::span<const MsgExtension* const> msgExtensions() {
    return {g_ext, g_count};
}

}  // namespace osprey::route

namespace osprey::route {

bool sourceDropped(const net::RecvInfo& info) noexcept {
    for (unsigned i = 0; i < g_dropCount; ++i) {
        if (g_drop[i](info)) return true;
    }
    return false;
}

}  // namespace osprey::route
