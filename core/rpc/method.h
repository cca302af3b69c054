// One RPC method as a module (or the core) declares it, built by rpc::method<&handler>(...)
// which deduces the parameters from the handler's signature, so the declaration cannot drift
// from the function:
//
//     rpc::Result ulLookup(std::string_view table, std::string_view aor) noexcept;
//     constexpr rpc::Method kRpc[] = {
//         rpc::method<&ulLookup>("ul.lookup", "table aor", "Dump the contacts of an AOR."),
//     };
//
// Parameter types: int64_t, double, std::string_view, and std::optional<> of these for
// trailing optional parameters; or a single rpc::Args, which takes whatever was sent, unchecked
// (variadic methods). The registry checks the count and types of what a client sent
// against the declaration before the handler runs (an error names the parameter), converting
// where Kamailio's front ends do (a numeric string for an integer, a number for a string).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/rpc/result.h"

namespace osprey::rpc {

using Args = std::span<const Value>;
using Handler = Result (*)(Args args);

// Method flags.
inline constexpr uint8_t kReturnsArray = 1;  // several values: binrpc sends each as a record

struct Method {
    const char* name;    // Kamailio's name, e.g. "ul.dump"
    const char* params;  // parameter names, space separated: "table aor"
    const char* types;   // one code per parameter: i int, d double, s string; upper case
                         // optional; "*": any number of any values (the handler takes Args)
    const char* help;
    Handler call;  // generated: converts the checked arguments and calls the handler
    uint8_t flags = 0;
};

namespace detail {

template <class T>
struct ArgCode;
template <>
struct ArgCode<int64_t> {
    static constexpr char code = 'i';
    static int64_t get(const Value& v) { return v.asInt(); }
};
template <>
struct ArgCode<double> {
    static constexpr char code = 'd';
    static double get(const Value& v) { return v.asDouble(); }
};
template <>
struct ArgCode<std::string_view> {
    static constexpr char code = 's';
    static std::string_view get(const Value& v) { return v.asString(); }
};
template <class T>
struct ArgCode<std::optional<T>> {
    static constexpr char code = static_cast<char>(ArgCode<T>::code - 'a' + 'A');
    static std::optional<T> get(const Value& v) {
        if (v.isNull()) return std::nullopt;
        return ArgCode<T>::get(v);
    }
};

template <auto Fn>
struct Trampoline;

// A handler that takes the arguments as sent, any number of any type (Kamailio's
// stats.get_statistics sel [sel ...]): declared with one parameter name, types "*".
template <Result (*Fn)(Args) noexcept>
struct Trampoline<Fn> {
    static constexpr char codes[] = "*";
    static constexpr size_t arity = 1;
    static Result call(Args args) { return Fn(args); }
};

template <class... A, Result (*Fn)(A...) noexcept>
struct Trampoline<Fn> {
    static constexpr char codes[] = {ArgCode<std::remove_cvref_t<A>>::code..., '\0'};
    static constexpr size_t arity = sizeof...(A);

    template <size_t... I>
    static Result callWith([[maybe_unused]] Args args, std::index_sequence<I...>) {
        return Fn(ArgCode<std::remove_cvref_t<A>>::get(args[I])...);
    }
    // The registry has checked and converted args: exactly arity values (Null for an absent
    // optional one).
    static Result call(Args args) { return callWith(args, std::index_sequence_for<A...>{}); }
};

consteval size_t countWords(const char* s) {
    size_t n = 0;
    bool in = false;
    for (; *s; ++s) {
        if (*s == ' ') {
            in = false;
        } else if (!in) {
            in = true;
            ++n;
        }
    }
    return n;
}

consteval bool optionalsTrail(const char* codes) {
    bool optional = false;
    for (; *codes && *codes != '*'; ++codes) {
        bool o = *codes >= 'A' && *codes <= 'Z';
        if (optional && !o) return false;
        optional = o;
    }
    return true;
}

}  // namespace detail

template <auto Fn>
consteval Method method(const char* name, const char* params, const char* help, uint8_t flags = 0) {
    using T = detail::Trampoline<Fn>;
    if (detail::countWords(params) != T::arity)
        throw "rpc::method: the parameter names do not match the handler's parameters";
    if (!detail::optionalsTrail(T::codes)) throw "rpc::method: optional parameters must come last";
    return Method{name, params, T::codes, help, &T::call, flags};
}

}  // namespace osprey::rpc
