// A test hook that makes a SIP worker die (SIGKILL, as the OOM killer or `kill -9` would)
// while it holds one particular lock, so the tests can prove what the next taker of that lock
// does (docs/locks.md). It is off unless the environment variable
//
//     OSPREY_TEST_DIE_IN=<site>[:<n>]     site: tm_bucket | tm_cell | usrloc_slot | shm_alloc
//
// is set when osprey starts: then the n-th time (default 1, counted over all SIP workers
// together) a SIP worker passes the die point of <site> it logs "test hook: ..." and kills
// itself, once per server run. No message can turn it on, so traffic cannot trigger it in
// production; a disabled die point costs one load and a compare.
#pragma once
#include <cstdint>

namespace osprey::mem {

enum class DieSite : uint8_t { None, TmBucket, TmCell, UsrlocSlot, ShmAlloc };

const char* dieSiteName(DieSite s);

namespace detail {
extern DieSite g_dieSite;  // set once, before the first fork, from the environment
void dieHere(DieSite s);
}  // namespace detail

// Placed inside the critical section that `s` names, with that lock held.
inline void testDiePoint(DieSite s) {
    if (detail::g_dieSite == s) [[unlikely]]
        detail::dieHere(s);
}

// Sets the plan from a spec of the environment variable's form ("" or nullptr: off); what the
// static initialiser does with OSPREY_TEST_DIE_IN, and what unit tests call before forking the
// process that should die. False (and the hook off) for an unknown site.
bool testDieConfigure(const char* spec);

// Whether this process may be the one that dies (the process manager allows it in SIP workers
// once they serve; it is off in the master, timers and every other process).
void testDieAllowHere(bool allow);

}  // namespace osprey::mem
