// Conversions between Lua stack values and the C++ types exported functions may take and
// return. Each supported type has a LuaArg (read an argument, report why it does not fit) or a
// LuaRet (push a result); any other type fails to compile. Header-only because trampolines are
// instantiated inside module .so files, which must not depend on core symbols for this.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include <lua.hpp>

#include "core/lua/ctx.h"

namespace osprey::lua {

// Return type of functions that end the script (KSR.x.exit, KSR.x.drop).
struct StopScript {};

// KSR.pv.get's result: nil ($null), an integer, or a string.
using PvValue = std::variant<std::monostate, int64_t, std::string_view>;

enum class ArgStatus : uint8_t { Ok, WrongType, NotIntegral, OutOfRange };

namespace detail {
template <class T>
inline constexpr bool kAlwaysFalse = false;

// Kamailio's app_lua reads integer parameters with lua_tointeger: a number, or a string Lua
// converts to one ("404", " 0x1F "), truncated toward zero. Anything else (nil, a table, "abc",
// NaN, infinity) does not fit; neither does a value outside the parameter's range.
inline ArgStatus getIntegral(lua_State* L, int idx, double lo, double hiExclusive,
                             int64_t& out) noexcept {
    const int t = lua_type(L, idx);
    if (t != LUA_TNUMBER && (t != LUA_TSTRING || lua_isnumber(L, idx) == 0)) {
        return ArgStatus::WrongType;
    }
    const lua_Number n = lua_tonumber(L, idx);
    if (std::isnan(n) || std::isinf(n)) return ArgStatus::NotIntegral;
    if (!(n > lo - 1 && n < hiExclusive)) return ArgStatus::OutOfRange;
    out = static_cast<int64_t>(n);  // truncates, as lua_tointeger does
    return ArgStatus::Ok;
}
}  // namespace detail

template <class T>
struct LuaArg {
    static_assert(detail::kAlwaysFalse<T>,
                  "KSR export arguments must be int, int64_t, bool, double or std::string_view "
                  "(by value), optionally preceded by osprey::lua::Ctx&");
};

template <>
struct LuaArg<int> {
    static constexpr char kCode = 'i';
    static constexpr const char* kExpected = "integer";
    static ArgStatus get(lua_State* L, int idx, int& out) noexcept {
        int64_t v = 0;
        const ArgStatus s = detail::getIntegral(L, idx, -2147483648.0, 2147483648.0, v);
        if (s == ArgStatus::Ok) out = static_cast<int>(v);
        return s;
    }
};

template <>
struct LuaArg<int64_t> {
    static constexpr char kCode = 'i';
    static constexpr const char* kExpected = "integer";
    static ArgStatus get(lua_State* L, int idx, int64_t& out) noexcept {
        return detail::getIntegral(L, idx, -9223372036854775808.0, 9223372036854775808.0, out);
    }
};

template <>
struct LuaArg<bool> {
    static constexpr char kCode = 'b';
    static constexpr const char* kExpected = "boolean";
    static ArgStatus get(lua_State* L, int idx, bool& out) noexcept {
        if (lua_type(L, idx) != LUA_TBOOLEAN) return ArgStatus::WrongType;
        out = lua_toboolean(L, idx) != 0;
        return ArgStatus::Ok;
    }
};

template <>
struct LuaArg<double> {
    static constexpr char kCode = 'd';
    static constexpr const char* kExpected = "number";
    static ArgStatus get(lua_State* L, int idx, double& out) noexcept {
        const int t = lua_type(L, idx);
        if (t != LUA_TNUMBER && (t != LUA_TSTRING || lua_isnumber(L, idx) == 0)) {
            return ArgStatus::WrongType;
        }
        out = lua_tonumber(L, idx);
        return ArgStatus::Ok;
    }
};

// The view stays valid while the argument is on the Lua stack, i.e. for the whole call; a
// function that keeps the text longer must copy it. Numbers are accepted and converted the way
// Lua itself coerces them (KEMI scripts pass numbers where strings are expected).
template <>
struct LuaArg<std::string_view> {
    static constexpr char kCode = 's';
    static constexpr const char* kExpected = "string";
    static ArgStatus get(lua_State* L, int idx, std::string_view& out) noexcept {
        const int t = lua_type(L, idx);
        if (t != LUA_TSTRING && t != LUA_TNUMBER) return ArgStatus::WrongType;
        size_t len = 0;
        const char* s = lua_tolstring(L, idx, &len);
        out = std::string_view(s, len);
        return ArgStatus::Ok;
    }
};

template <class T>
struct LuaRet {
    static_assert(detail::kAlwaysFalse<T>,
                  "KSR export results must be void, int, int64_t, bool, double, "
                  "std::string_view, std::optional of those, PvValue or StopScript");
};

template <>
struct LuaRet<int> {
    static constexpr char kCode = 'i';
    static int push(lua_State* L, int v) noexcept {
        lua_pushinteger(L, v);
        return 1;
    }
};

template <>
struct LuaRet<int64_t> {
    static constexpr char kCode = 'i';
    static int push(lua_State* L, int64_t v) noexcept {
        lua_pushnumber(L, static_cast<lua_Number>(v));
        return 1;
    }
};

template <>
struct LuaRet<bool> {
    static constexpr char kCode = 'b';
    static int push(lua_State* L, bool v) noexcept {
        lua_pushboolean(L, v ? 1 : 0);
        return 1;
    }
};

template <>
struct LuaRet<double> {
    static constexpr char kCode = 'd';
    static int push(lua_State* L, double v) noexcept {
        lua_pushnumber(L, v);
        return 1;
    }
};

// Copied into Lua at once, so a view into the message buffer is fine.
template <>
struct LuaRet<std::string_view> {
    static constexpr char kCode = 's';
    static int push(lua_State* L, std::string_view v) noexcept {
        lua_pushlstring(L, v.data(), v.size());
        return 1;
    }
};

template <class T>
struct LuaRet<std::optional<T>> {
    static constexpr char kCode = LuaRet<T>::kCode;
    static int push(lua_State* L, const std::optional<T>& v) noexcept {
        if (!v) {
            lua_pushnil(L);
            return 1;
        }
        return LuaRet<T>::push(L, *v);
    }
};

template <>
struct LuaRet<PvValue> {
    static constexpr char kCode = 'v';
    static int push(lua_State* L, const PvValue& v) noexcept {
        if (const auto* i = std::get_if<int64_t>(&v)) return LuaRet<int64_t>::push(L, *i);
        if (const auto* s = std::get_if<std::string_view>(&v)) {
            return LuaRet<std::string_view>::push(L, *s);
        }
        lua_pushnil(L);
        return 1;
    }
};

// Raises the engine's stop token (upvalue 1, the CallState); Engine::run recognises it. Not
// noexcept: lua_error unwinds through this frame with the C++ unwinder.
template <>
struct LuaRet<StopScript> {
    static constexpr char kCode = 'x';
    static int push(lua_State* L, StopScript) {
        lua_pushvalue(L, lua_upvalueindex(1));
        return lua_error(L);
    }
};

}  // namespace osprey::lua
