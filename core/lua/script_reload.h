// Reloading the routing script at run time (docs/reload.md). Two halves:
//
//  - reloadScript(), in the process that asks (the master on SIGHUP; the control process for
//    the RPC method app_lua.reload): reads the file and loads it into a throw-away engine with
//    the real KSR table, exactly as `osprey -c` and the start-up do (syntax, errors of the top
//    level, ksr_request_route defined). A refused script changes nothing and the answer is
//    "script:line: message". An accepted one is published in shm as the next generation
//    (core/lua/script_release.h) and every process that runs Lua is nudged with SIGHUP.
//  - syncProcessScript(), in every process that runs Lua, at its wake-ups between messages
//    (core/proc/child.h's wake work: at least every 100 ms, busy or idle, and at once on the
//    nudge when its loop waits on the signal descriptor): when the published generation is
//    newer, it builds a fresh Lua state from the published text and drops the old one. When
//    that fails (out of memory, an error only this process hits), the old state keeps serving
//    and the process retries with back-off: 1 s, 2 s, 4 s ... at most 60 s between attempts.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/lua/script_release.h"

namespace osprey::lua {

struct ReloadResult {
    bool ok = false;
    uint64_t generation = 0;  // the published generation (the new one when ok)
    std::string error;        // when !ok: "script:line: message" or why the file is unusable
};

// path: the script to load from now on; empty = the current script's path. A relative path is
// taken relative to the config file's directory (as `script =` is). Never throws.
ReloadResult reloadScript(std::string_view path = {});

// This process started its engine on `generation` (ChildInit).
void startedProcessScript(uint64_t generation);
// This process's wake work: switches to a newer published generation if there is one.
void syncProcessScript() noexcept;

// Back-off before attempt failures+1 at a generation this process could not load.
int64_t reloadRetryDelayMs(uint32_t failures);

}  // namespace osprey::lua
