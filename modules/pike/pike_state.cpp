// pike's shared state (pike_state.h), apart from the module's description so the unit tests
// and the benchmark link it.
#include "modules/pike/pike_state.h"

#include "core/timer/clock.h"

namespace osprey::pike {

Settings g_settings;

namespace {

RateTable* g_table = nullptr;
Counters g_counters;

}  // namespace

RateTable* table() {
    return g_table;
}
void setTable(RateTable* t) {
    g_table = t;
}
Counters& counters() {
    return g_counters;
}

uint32_t nowSec() noexcept {
    return static_cast<uint32_t>(timer::coarseNowMs() / 1000);
}

}  // namespace osprey::pike
