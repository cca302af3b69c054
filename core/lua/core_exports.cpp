// KSR.info/err/warn/notice/dbg/crit/log, KSR.x.exit/drop, KSR.setflag/resetflag/isflagset.
#include "core/lua/core_exports.h"

#include <cstdlib>
#include <cstring>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/lua/script_location.h"
#include "core/module/module_export.h"

namespace osprey::lua {

namespace {

using log::Level;

// Kamailio scripts often end log texts with "\n"; the logger adds its own line end.
void logText(Level level, std::string_view text) noexcept {
    if (!log::enabled(level)) return;
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    // The script's position is the line's origin ("route.lua:12" -> file and line).
    char where[256];
    scriptLocation(where, sizeof where);
    int line = 0;
    if (char* colon = std::strrchr(where, ':'); colon != nullptr) {
        *colon = '\0';
        line = std::atoi(colon + 1);
    }
    log::writeAt(level, where, line, "%.*s", static_cast<int>(text.size()), text.data());
}

void ksrDbg(std::string_view t) noexcept {
    logText(Level::Debug, t);
}
void ksrInfo(std::string_view t) noexcept {
    logText(Level::Info, t);
}
void ksrNotice(std::string_view t) noexcept {
    logText(Level::Notice, t);
}
void ksrWarn(std::string_view t) noexcept {
    logText(Level::Warn, t);
}
void ksrErr(std::string_view t) noexcept {
    logText(Level::Err, t);
}
void ksrCrit(std::string_view t) noexcept {
    logText(Level::Err, t);
}  // no separate crit level

// KSR.log(level, text) with Kamailio's level names; an unknown level logs as an error.
void ksrLog(std::string_view level, std::string_view text) noexcept {
    Level l = Level::Err;
    if (level == "dbg" || level == "debug")
        l = Level::Debug;
    else if (level == "info")
        l = Level::Info;
    else if (level == "notice")
        l = Level::Notice;
    else if (level == "warn" || level == "warning")
        l = Level::Warn;
    logText(l, text);
}

StopScript xExit() noexcept {
    return {};
}

StopScript xDrop(Ctx& ctx) noexcept {
    ctx.dropped = true;
    return {};
}

constexpr int kMaxFlag = 63;

bool flagInRange(int flag) noexcept {
    return flag >= 0 && flag <= kMaxFlag;
}

int setFlag(Ctx& ctx, int flag) noexcept {
    if (!flagInRange(flag)) return -1;
    ctx.flags |= uint64_t{1} << flag;
    return 1;
}

int resetFlag(Ctx& ctx, int flag) noexcept {
    if (!flagInRange(flag)) return -1;
    ctx.flags &= ~(uint64_t{1} << flag);
    return 1;
}

bool isFlagSet(Ctx& ctx, int flag) noexcept {
    return flagInRange(flag) && (ctx.flags & (uint64_t{1} << flag)) != 0;
}

constexpr FunctionSpec kFunctions[] = {
    fn<&ksrDbg>("dbg", ""),          fn<&ksrInfo>("info", ""),    fn<&ksrNotice>("notice", ""),
    fn<&ksrWarn>("warn", ""),        fn<&ksrErr>("err", ""),      fn<&ksrCrit>("crit", ""),
    fn<&ksrLog>("log", ""),          fn<&setFlag>("setflag", ""), fn<&resetFlag>("resetflag", ""),
    fn<&isFlagSet>("isflagset", ""), fn<&xExit>("exit", "x"),     fn<&xDrop>("drop", "x"),
};

constexpr module::ModuleExport kCore{
    .name = "core",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};

}  // namespace

const module::ModuleExport& coreExport() {
    return kCore;
}

}  // namespace osprey::lua
