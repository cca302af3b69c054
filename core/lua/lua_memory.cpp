// Capped, accounted allocator for Lua states, with the soft-limit hook.
#include "core/lua/lua_memory.h"

#include <cstdlib>

#include <lua.hpp>

namespace osprey::lua {

namespace {

void disarm(LuaMemory& m) noexcept {
    if (!m.hookArmed) return;
    m.hookArmed = false;
    m.raising = false;
    lua_sethook(m.L, nullptr, 0, 0);
}

void limitHook(lua_State* L, lua_Debug*) {
    void* ud = nullptr;
    lua_getallocf(L, &ud);
    auto* m = static_cast<LuaMemory*>(ud);
    if (!m->raising) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        if (m->used <= m->limit) {
            disarm(*m);
            return;
        }
        m->raising = true;
        ++m->overLimit;
    }
    // In a hook, level 0 is the Lua function being interrupted: name its line.
    luaL_where(L, 0);
    lua_pushfstring(L, "Lua memory limit of %d KiB reached (%d KiB in use)",
                    static_cast<int>(m->limit >> 10), static_cast<int>(m->used >> 10));
    lua_concat(L, 2);
    lua_error(L);
}

}  // namespace

void* cappedAlloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept {
    auto* m = static_cast<LuaMemory*>(ud);
    if (ptr == nullptr) osize = 0;  // Lua passes a type tag or garbage here for new blocks
    if (nsize == 0) {
        std::free(ptr);
        m->used -= osize;
        return nullptr;
    }
    const bool capped = m->enforce && m->limit != 0;
    if (capped && nsize > osize && m->used - osize + nsize > m->hardLimit()) {
        ++m->refused;
        return nullptr;
    }
    void* p = std::realloc(ptr, nsize);
    if (p == nullptr) {
        // Lua assumes a shrink cannot fail; glibc never fails one, but keep the block if it did.
        if (nsize <= osize) return ptr;
        ++m->refused;
        return nullptr;
    }
    m->used = m->used - osize + nsize;
    if (m->used > m->peak) m->peak = m->used;
    if (capped && m->used > m->limit && !m->hookArmed && m->L != nullptr) {
        // lua_sethook only sets fields and aborts trace recording: safe from any VM state.
        m->hookArmed = true;
        lua_sethook(m->L, limitHook, LUA_MASKCOUNT, 1);
    }
    return p;
}

bool settleAfterCall(LuaMemory& m) noexcept {
    if (!m.hookArmed) return false;
    if (m.used > m.limit) lua_gc(m.L, LUA_GCCOLLECT, 0);
    if (m.used > m.limit) return true;
    disarm(m);
    return false;
}

}  // namespace osprey::lua
