// Pseudo-variables a module provides (tm's $T_branch_idx, $T_reply_code, $T_req(...)): the
// module adds its table from its init (master, before fork, so every worker knows the same
// names), and a name the core does not know is looked up here. The table is kept, not copied.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "core/lua/lua_value.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::pv {

struct PvProvider {
    const char* name;  // without '$': "T_branch_idx"; a class ("T_req") is read as $T_req(inner)
    bool isClass;
    // inner: the text inside the parentheses of a class form, empty otherwise.
    lua::PvValue (*get)(route::MsgContext& mc, std::string_view inner);
};

// False when a name is taken by another provider or the registry is full.
bool addPvProviders(std::span<const PvProvider> list);
// The provider of that name, its index in *index; nullptr when none.
const PvProvider* findPvProvider(std::string_view name, bool isClass, int32_t* index);
const PvProvider* pvProviderAt(int32_t index);

}  // namespace osprey::pv
