// $shv(name): Kamailio's shared variables — one value seen by every process, kept for the
// life of the server, starting as the integer 0. The table lives in shm (created by the pv
// module's init in the master, before fork) behind one process-shared lock; names resolve to
// a slot once per process (pv_cache.h). Reads copy the value out under the lock into a
// per-process buffer, so a value read is never torn by a concurrent write.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/lua/lua_value.h"

namespace osprey::pv {

inline constexpr int32_t kMaxSharedVars = 256;
inline constexpr size_t kMaxSharedVarName = 63;
inline constexpr size_t kMaxSharedVarText = 4096;

// Master, before fork; false when shm is not ready or full. Calling it again is a no-op.
bool sharedVarsInit();
bool sharedVarsReady();

// The slot of the variable, created (as 0) on first use; -1 when not ready, full or the name
// is too long.
int32_t sharedVarSlot(std::string_view name);

// The value; a string stays valid until the next sharedVarGet in this process.
lua::PvValue sharedVarGet(int32_t slot);
bool sharedVarSetInt(int32_t slot, int64_t value);
// False when the text is longer than kMaxSharedVarText or shm is full (the old value stays).
bool sharedVarSetStr(int32_t slot, std::string_view value);

}  // namespace osprey::pv
