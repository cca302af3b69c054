// The allocator behind every Lua state: plain malloc with accounting and a cap, enforced in two
// steps because LuaJIT (Debian's 2.1 of 2022) cannot unwind a Lua error out of JIT-compiled
// machine code - an allocation refused inside a trace ends in the panic handler, i.e. abort.
//  - soft limit (`limit`): crossing it arms a count hook. Hooks run only in the interpreter, at
//    an instruction boundary, where raising an error is safe. The hook first collects garbage;
//    if the state is still above the limit it raises "memory limit reached" - and keeps raising
//    on every instruction until the call ends, so a script's own pcall cannot swallow it.
//  - hard limit (2 x limit): allocations above it are refused (LUA_ERRMEM). This is the
//    backstop for a compiled loop that allocates without ever leaving its trace; from
//    interpreted code it is an ordinary error, from a trace it aborts the worker, which the
//    master then restarts.
// Debian's LuaJIT on x86_64 is a GC64 build and accepts this allocator through lua_newstate
// (non-GC64 builds return NULL there; the engine then runs uncapped and says so).
#pragma once
#include <cstddef>
#include <cstdint>

struct lua_State;

namespace osprey::lua {

struct LuaMemory {
    size_t used = 0;
    size_t peak = 0;
    size_t limit = 0;        // soft limit; 0 = no cap
    uint64_t refused = 0;    // allocations refused (hard limit) so far
    uint64_t overLimit = 0;  // times the soft limit was found exceeded after collecting
    // The cap holds only inside protected calls: outside them (state set-up, a global lookup)
    // an error would be unprotected, i.e. a panic, so a small overshoot is allowed there.
    bool enforce = false;
    bool hookArmed = false;
    bool raising = false;    // collecting did not help: the hook raises without collecting again
    lua_State* L = nullptr;  // the main state, for arming the hook

    size_t hardLimit() const { return limit * 2; }
};

// lua_Alloc-compatible; ud is a LuaMemory*. Shrinking and freeing never fail.
void* cappedAlloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept;

// After a call: collects if the soft limit was crossed. Returns true when the state is still
// above the limit (the caller should rebuild it); otherwise the hook is disarmed.
bool settleAfterCall(LuaMemory& m) noexcept;

}  // namespace osprey::lua
