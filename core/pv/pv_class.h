// Pseudo-variable classes a module provides ($sht(table=>key) from htable, $T_req(pv) from
// tm, ...; also plain names such as tm's $T_reply_code, marked `plain`): the module
// declares a table of PvClass entries and registers it from its init in the master, before
// fork, so every process knows the classes. "$name(inner)" then parses to PvKind::ModuleClass
// with the class's index in spec.slot and the inner text, as written, in spec.arg (module
// classes take any inner text: "ipban=>$si", "a=>$au::count").
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "core/lua/lua_value.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::pv {

struct PvClass {
    const char* name;  // without '$': "sht"
    // The value (nil for $null); a string view must stay valid until the caller copied it
    // (the next call into the class in this process).
    lua::PvValue (*get)(route::MsgContext& mc, std::string_view arg);
    // nullptr: read-only. False when the value cannot be stored.
    bool (*setStr)(route::MsgContext& mc, std::string_view arg, std::string_view value) = nullptr;
    bool (*setInt)(route::MsgContext& mc, std::string_view arg, int64_t value) = nullptr;
    bool (*unset)(route::MsgContext& mc, std::string_view arg) = nullptr;  // assign $null
    // A plain name, "$name" without parentheses (tmx's $T_branch_idx); get's arg is empty.
    bool plain = false;
};

inline constexpr int32_t kMaxPvClasses = 32;

// Master, before fork (a module's init). False when a name is taken (by the core or another
// module) or the registry is full.
bool registerPvClasses(std::span<const PvClass> classes);

// The index of a registered class, -1 when none has this name.
int32_t findPvClass(std::string_view name);
const PvClass* pvClassAt(int32_t index);

}  // namespace osprey::pv
