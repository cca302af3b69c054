// Destination states: what ds_mark_dst(), dispatcher.set_state and the keepalives change, with
// Kamailio's letters (a active, i inactive, t trying, d disabled, + p probing) and thresholds.
#pragma once
#include <cstdint>
#include <string_view>

#include "modules/dispatcher/ds_list.h"

namespace osprey::dispatcher {

// "a", "ip", "tp", "d", ... (also Kamailio's digits 0..3) into flag bits; false when unknown.
// *trying is set for "t": the failure counter decides when it becomes inactive.
bool parseState(std::string_view text, uint32_t* bits, bool* trying);

// Sets the state bits of d (set s of l), as ds_mark_dst / dispatcher.set_state do: "t" counts a
// failure and turns into inactive at ds_probing_threshold; "a" clears the counters.
void applyState(List& l, Set& s, Dest& d, uint32_t bits, bool trying);

// A keepalive's outcome (answered with an accepted code, or failed/timed out).
void pingOutcome(List& l, Set& s, Dest& d, bool ok);

// "AX", "IP", "DX", "TP", "AN" as dispatcher.list shows them.
void stateLetters(uint32_t flags, char out[3]);

}  // namespace osprey::dispatcher
