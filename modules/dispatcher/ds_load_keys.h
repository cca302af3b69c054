// Algorithm 10 (call load) as a scan over one contiguous array: each destination of a list has
// a 64-bit key, its call count in the high half and its index in the list in the low half, or
// kNoLoadKey when it cannot take a call (inactive, disabled, or at its maxload). The least
// loaded destination, first in set order among equals (Kamailio's rule), is then simply the
// smallest key of the set: one load, one compare and one conditional move per destination,
// where reading each destination's flags, its counter through its duid slot and its maxload
// cost about 20 instructions (docs/dispatcher.md, "Call load").
//
// The keys mirror inputs that several processes change: the counters (ds_calls.h, by duid)
// and the destinations' usable state (ds_state.h). Whoever changes an input refreshes the keys
// that depend on it, and a refresh stores the key, then reads the inputs again and stores
// again until they agree with what it stored. With every change, store and read seq_cst, the
// last store to a key is therefore computed from inputs that were still current after it: a
// refresh that stores an older value after a newer one sees the newer inputs on its re-read
// and corrects it. Between a change and its refresh a selection may read the previous key,
// a staleness of a few instructions that load balancing does not notice. The selection checks
// the chosen destination's flags again (the failover walk skips it if it went down).
#pragma once
#include <cstdint>

#include "modules/dispatcher/ds_list.h"

namespace osprey::dispatcher {

inline constexpr uint64_t kNoLoadKey = UINT64_MAX;

// Counter `slot` changed: refreshes the keys of the current list's destinations using it.
// A reload refreshes the whole new list after publishing it (refreshLoadKeys), so a change
// that saw the old list as current is not lost for the new one.
void loadChanged(int slot);

// Every key of `l` (after building it, and again once it is published).
void refreshLoadKeys(const List& l);

// The usable destination with the fewest calls below its maxload among the first `pool` of
// set `s` (set-relative index), the first of equals; -1 when none.
int leastLoaded(const List& l, const Set& s, uint32_t pool);

}  // namespace osprey::dispatcher
