// $var(name): Kamailio's script variables. Private to the process (each worker has its own),
// they keep their value from one message to the next, and start as the integer 0. Names and
// string values live in the pkg heap; a slot is looked up once, when its name is first parsed
// (pv_cache.h), so reading a variable is an index, not a search.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/lua/lua_value.h"

namespace osprey::pv {

inline constexpr int32_t kMaxScriptVars = 512;

// The slot of the variable, created (as 0) on first use; -1 when the table or the pkg heap is
// full.
int32_t scriptVarSlot(std::string_view name);

lua::PvValue scriptVarGet(int32_t slot);
bool scriptVarSetInt(int32_t slot, int64_t value);
// False when the pkg heap cannot hold the text (the old value stays).
bool scriptVarSetStr(int32_t slot, std::string_view value);

// Forgets every variable (tests).
void scriptVarsClear();

}  // namespace osprey::pv
