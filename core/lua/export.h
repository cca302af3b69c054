// Typed export of C++ functions to Lua. lua::fn<&f>("name") deduces f's arity, argument and
// result types at compile time and generates the lua_CFunction trampoline that checks, at run
// time, what the script passed against that signature:
//
//     int sl_send_reply(lua::Ctx& ctx, int code, std::string_view reason) noexcept;
//     constexpr lua::FunctionSpec kFunctions[] = { lua::fn<&sl_send_reply>("sl_send_reply") };
//
// Arguments follow Kamailio's app_lua: integer parameters take numbers and numeric strings
// (truncated like lua_tointeger), string parameters take numbers too. A call with the wrong
// number of arguments or a value that does not convert is logged (script:line, the function's
// full name, what is wrong) and returns `false` to the script, as app_lua does; the route goes
// on.
//
// Exported functions must be noexcept (a C++ exception may never cross the Lua boundary). The
// trampolines themselves are not noexcept on purpose: StopScript and a call outside a route
// raise Lua errors, and LuaJIT unwinds Lua errors with the C++ unwinder, which would call
// std::terminate at a noexcept frame. Trampolines keep only trivially destructible locals, so
// unwinding is clean.
//
// Every trampoline is pushed as a closure with two upvalues (see KsrTable): 1 = the engine's
// CallState (current message context and stop token), 2 = its full name ("KSR.sl.sl_send_reply")
// for error messages.
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/lua/ctx.h"
#include "core/lua/function_spec.h"
#include "core/lua/lua_value.h"

namespace osprey::lua {

namespace detail {

inline const char* exportName(lua_State* L) noexcept {
    const char* n = lua_tostring(L, lua_upvalueindex(2));
    return n ? n : "KSR function";
}

inline Ctx* currentCtx(lua_State* L) noexcept {
    auto* cs = static_cast<CallState*>(lua_touserdata(L, lua_upvalueindex(1)));
    return cs ? cs->current : nullptr;
}

// Kamailio's app_lua answers a call it cannot make (wrong number of arguments, a value that
// does not convert) with an error in the log and `false` to the script; the route goes on.
// Cold and out of the trampoline's way; the text is built with the Lua API and logged through
// the engine (CallState::logError), as module .so files use no core symbols.
[[gnu::cold, gnu::noinline]] inline int badCall(lua_State* L, const char* text) {
    auto* cs = static_cast<CallState*>(lua_touserdata(L, lua_upvalueindex(1)));
    if (cs != nullptr && cs->logError != nullptr) cs->logError(L, text);
    lua_pushboolean(L, 0);
    return 1;
}

[[gnu::cold, gnu::noinline]] inline int badArity(lua_State* L, int expected) {
    const int got = lua_gettop(L);
    return badCall(L, lua_pushfstring(L, "wrong number of arguments to '%s' (%d expected, got %d)",
                                      exportName(L), expected, got));
}

[[gnu::cold, gnu::noinline]] inline int badArgument(lua_State* L, int pos, const char* expected,
                                                    ArgStatus why) {
    switch (why) {
        case ArgStatus::NotIntegral:
            return badCall(L, lua_pushfstring(L,
                                              "bad argument #%d to '%s' (number has no integer "
                                              "representation)",
                                              pos, exportName(L)));
        case ArgStatus::OutOfRange:
            return badCall(L, lua_pushfstring(L, "bad argument #%d to '%s' (integer out of range)",
                                              pos, exportName(L)));
        default:
            return badCall(L, lua_pushfstring(L, "bad argument #%d to '%s' (%s expected, got %s)",
                                              pos, exportName(L), expected, luaL_typename(L, pos)));
    }
}

inline int noContextError(lua_State* L) {
    return luaL_error(L, "'%s' needs a SIP message and can only be called from a route",
                      exportName(L));
}

template <bool WithCtx, class R, class... A>
struct Call {
    static_assert((!std::is_reference_v<A> && ...),
                  "KSR export arguments are taken by value (std::string_view for text)");

    static constexpr char kArgs[] = {LuaArg<A>::kCode..., '\0'};
    static constexpr const char* kExpected[] = {LuaArg<A>::kExpected..., nullptr};
    static constexpr char kRet = [] {
        if constexpr (std::is_void_v<R>)
            return 'n';
        else
            return LuaRet<R>::kCode;
    }();

    template <auto F>
    static int call(lua_State* L) {
        return invoke<F>(L, std::index_sequence_for<A...>{});
    }

    template <auto F, size_t... I>
    static int invoke(lua_State* L, std::index_sequence<I...>) {
        constexpr int kArity = static_cast<int>(sizeof...(A));
        // KSR.x.exit()/drop() stop whatever they are given (app_lua's own functions ignore
        // their arguments); every other call needs exactly its parameters.
        constexpr bool kStops = kRet == 'x';
        const int given = lua_gettop(L);
        if (kStops ? given < kArity : given != kArity) [[unlikely]]
            return badArity(L, kArity);
        [[maybe_unused]] Ctx* ctx = nullptr;
        if constexpr (WithCtx) {
            ctx = currentCtx(L);
            if (ctx == nullptr) return noContextError(L);
        }
        [[maybe_unused]] std::tuple<A...> args{};
        ArgStatus status = ArgStatus::Ok;
        int bad = 0;
        // Stops at the first argument that does not fit, remembering its position.
        (void)(((status = LuaArg<A>::get(L, static_cast<int>(I) + 1, std::get<I>(args))) ==
                    ArgStatus::Ok ||
                (bad = static_cast<int>(I) + 1, false)) &&
               ...);
        if (bad != 0) [[unlikely]]
            return badArgument(L, bad, kExpected[bad - 1], status);
        if constexpr (std::is_void_v<R>) {
            if constexpr (WithCtx)
                F(*ctx, std::get<I>(args)...);
            else
                F(std::get<I>(args)...);
            return 0;
        } else if constexpr (WithCtx) {
            return LuaRet<R>::push(L, F(*ctx, std::get<I>(args)...));
        } else {
            return LuaRet<R>::push(L, F(std::get<I>(args)...));
        }
    }
};

template <class Sig>
struct Invoker {
    static_assert(kAlwaysFalse<Sig>,
                  "KSR exports must be plain (non-member) functions declared noexcept");
};

template <class R, class... A>
struct Invoker<R (*)(A...) noexcept> : Call<false, R, A...> {};

template <class R, class... A>
struct Invoker<R (*)(Ctx&, A...) noexcept> : Call<true, R, A...> {};

}  // namespace detail

// The declarative entry for one exported function; `table` overrides where it lands
// (nullptr: KSR.<module>, "": KSR itself, "x": KSR.x, ...).
template <auto F>
consteval FunctionSpec fn(const char* name, const char* table = nullptr) {
    static_assert(F != nullptr, "lua::fn needs a function");
    using I = detail::Invoker<decltype(F)>;
    return FunctionSpec{name, &I::template call<F>, I::kArgs, I::kRet, table};
}

}  // namespace osprey::lua
