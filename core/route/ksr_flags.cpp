// Core KSR functions for branch flags and the message's fate (Kamailio's KEMI core):
// KSR.setbflag/resetbflag/isbflagset (branch 0, the Request-URI), KSR.setbiflag/resetbiflag/
// isbiflagset(flag, branch) (0 the Request-URI, 1.. the destination set), KSR.set_drop() and
// KSR.drop() (mark the message dropped; the script goes on, unlike KSR.x.drop()), and
// KSR.set_reply_no_connect(). Branch flags are 0..31 as Kamailio's; registrar saves branch 0's
// with a contact and lookup gives them back (modules/registrar/README.md).
#include "core/lua/builtin_exports.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"

namespace osprey::route {

namespace {

constexpr int kMaxBranchFlag = 31;

// The flags word of that branch; branch 0 lives in the Lua context, so it works without the
// router too.
uint32_t* flagsOf(lua::Ctx& ctx, int flag, int branch) {
    if (flag < 0 || flag > kMaxBranchFlag) return nullptr;
    if (branch == 0) return &ctx.bflags;
    return ctx.route != nullptr ? ctx.route->branchFlags(branch) : nullptr;
}

bool setBiFlag(lua::Ctx& ctx, int flag, int branch) noexcept {
    uint32_t* f = flagsOf(ctx, flag, branch);
    if (f == nullptr) return false;
    *f |= uint32_t{1} << flag;
    return true;
}

bool resetBiFlag(lua::Ctx& ctx, int flag, int branch) noexcept {
    uint32_t* f = flagsOf(ctx, flag, branch);
    if (f == nullptr) return false;
    *f &= ~(uint32_t{1} << flag);
    return true;
}

bool isBiFlagSet(lua::Ctx& ctx, int flag, int branch) noexcept {
    const uint32_t* f = flagsOf(ctx, flag, branch);
    return f != nullptr && (*f & (uint32_t{1} << flag)) != 0;
}

bool setBFlag(lua::Ctx& ctx, int flag) noexcept {
    return setBiFlag(ctx, flag, 0);
}
bool resetBFlag(lua::Ctx& ctx, int flag) noexcept {
    return resetBiFlag(ctx, flag, 0);
}
bool isBFlagSet(lua::Ctx& ctx, int flag) noexcept {
    return isBiFlagSet(ctx, flag, 0);
}

// Kamailio's set_drop: nothing more is sent for the message, but the script runs on.
void setDrop(lua::Ctx& ctx) noexcept {
    ctx.dropped = true;
}

bool setReplyNoConnect(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return false;
    ctx.route->replyNoConnect = true;
    return true;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&setBFlag>("setbflag", ""),
    lua::fn<&resetBFlag>("resetbflag", ""),
    lua::fn<&isBFlagSet>("isbflagset", ""),
    lua::fn<&setBiFlag>("setbiflag", ""),
    lua::fn<&resetBiFlag>("resetbiflag", ""),
    lua::fn<&isBiFlagSet>("isbiflagset", ""),
    lua::fn<&setDrop>("set_drop", ""),
    lua::fn<&setDrop>("drop", ""),
    lua::fn<&setReplyNoConnect>("set_reply_no_connect", ""),
};

constexpr module::ModuleExport kExport{
    .name = "core.flags",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};

const lua::BuiltinExportRegistrar kRegister(kExport);

}  // namespace

}  // namespace osprey::route
