// The engine's logger for KSR calls that cannot be made (CallState::logError): the text as an
// error at the innermost script line ("route.lua:12: bad argument #1 to ...").
#pragma once

struct lua_State;

namespace osprey::lua::detail {

void logAtCaller(lua_State* L, const char* text) noexcept;

}  // namespace osprey::lua::detail
