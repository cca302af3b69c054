// KSR table construction.
#include "core/lua/ksr_table.h"

#include <lua.hpp>

#include "core/lua/ctx.h"
#include "core/lua/ksr_modf.h"
#include "core/module/module_export.h"

namespace osprey::lua {

namespace {

// Leaves KSR[name] (created on first use) on the stack; KSR is at ksr, the owners table at
// owners. A sub-table may not share its name with a function directly on KSR.
void pushSubTable(lua_State* L, int ksr, int owners, const char* name, const char* module) {
    lua_getfield(L, ksr, name);
    if (lua_istable(L, -1)) return;
    if (!lua_isnil(L, -1)) {
        lua_getfield(L, owners, lua_pushfstring(L, "KSR.%s", name));
        luaL_error(L, "KSR.%s of module '%s' clashes with function KSR.%s of module '%s'", name,
                   module, name, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, ksr, name);
}

}  // namespace

void pushKsrTable(lua_State* L, CallState* cs,
                  std::span<const module::ModuleExport* const> exports) {
    lua_newtable(L);  // KSR
    const int ksr = lua_gettop(L);
    lua_newtable(L);  // full name -> owning module, for clash messages
    const int owners = lua_gettop(L);
    lua_newtable(L);  // KSR.x.modf's names -> closures
    const int byName = lua_gettop(L);
    for (const module::ModuleExport* mod : exports) {
        for (const FunctionSpec& f : mod->functions) {
            if (f.name == nullptr || *f.name == '\0' || f.call == nullptr) {
                luaL_error(L, "module '%s' exports a function without a name", mod->name);
            }
            const char* table = f.table != nullptr ? f.table : mod->name;
            int target = ksr;
            if (*table != '\0') {
                pushSubTable(L, ksr, owners, table, mod->name);
                target = lua_gettop(L);
            }
            const char* full = *table != '\0' ? lua_pushfstring(L, "KSR.%s.%s", table, f.name)
                                              : lua_pushfstring(L, "KSR.%s", f.name);
            const int fullIdx = lua_gettop(L);
            lua_getfield(L, owners, full);
            if (!lua_isnil(L, -1)) {
                luaL_error(L, "%s is exported by both '%s' and '%s'", full, lua_tostring(L, -1),
                           mod->name);
            }
            lua_pop(L, 1);
            lua_getfield(L, target, f.name);
            if (!lua_isnil(L, -1)) {  // a sub-table of that name exists already
                luaL_error(L, "%s of module '%s' clashes with the table %s", full, mod->name, full);
            }
            lua_pop(L, 1);
            lua_pushstring(L, mod->name);
            lua_setfield(L, owners, full);

            lua_pushlightuserdata(L, cs);
            lua_pushvalue(L, fullIdx);
            lua_pushcclosure(L, f.call, 2);
            addModfName(L, byName, f.name);
            if (*table != '\0') addModfName(L, byName, lua_tostring(L, fullIdx) + 4);
            lua_setfield(L, target, f.name);
            lua_settop(L, target == ksr ? byName : target - 1);
        }
    }
    pushSubTable(L, ksr, owners, "x", "core");
    lua_getfield(L, -1, "modf");
    if (lua_isnil(L, -1)) {  // a module may not take the name
        pushModf(L, byName);
        lua_setfield(L, -3, "modf");
    }
    lua_pop(L, 4);  // modf slot, KSR.x, byName, owners
}

}  // namespace osprey::lua
