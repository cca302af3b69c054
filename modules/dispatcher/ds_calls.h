// Call load (algorithm 10): a count of calls per destination `duid`, and Kamailio's internal
// call tracking by Call-ID so ds_load_unset()/ds_load_update() know which count to lower.
// Counts are kept by duid, outside the lists, so they survive a reload.
#pragma once
#include <atomic>
#include <cstdint>
#include <string_view>

namespace osprey::dispatcher {

inline constexpr unsigned kLoadSlots = 1024;  // counters, one per duid
inline constexpr int kZeroSlot = kLoadSlots - 1;

// ds_hash_size (power of two of the Call-ID table; 0 disables algorithm 10's tracking),
// ds_hash_expire and ds_hash_initexpire in seconds. Master, before fork.
bool initCalls(int hashSizePow, int expireSec, int initExpireSec);
void destroyCalls();

// The counter slot of a duid (created on first use). A destination without duid (or when no
// slot is free) gets kZeroSlot, a counter that stays 0, so the selection needs no test.
int loadSlotFor(std::string_view duid);
int32_t callLoad(int slot);
// The counters by slot (nullptr before initCalls), for the selection's inline loop.
const std::atomic<int32_t>* loadCounters();

// Every change of a counter is seq_cst and followed by loadChanged(slot) (ds_load_keys.h), which
// refreshes algorithm 10's keys in the current list.

// The call `callIdHash` now goes to counter `slot` (replacing where it went before).
void loadAssign(uint64_t callIdHash, int slot);
// Removes the call and lowers its destination's count; false when it was not tracked.
bool loadUnset(uint64_t callIdHash);
// A 2xx to the INVITE: the call is confirmed (it expires after ds_hash_expire, not initexpire).
bool loadConfirm(uint64_t callIdHash);
// Drops calls whose time ran out (no BYE seen); the ping process calls it every tick.
void loadExpire();

}  // namespace osprey::dispatcher
