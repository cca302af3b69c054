// pike's state shared by its files: the parameters as the loader set them and the table in shm.
#pragma once
#include <cstdint>

#include "core/stats/counter.h"
#include "modules/pike/rate_table.h"

namespace osprey::pike {

struct Settings {
    int sampleUnit = 2;       // sampling_time_unit, seconds
    int maxReqs = 30;         // reqs_density_per_unit
    int removeLatency = 120;  // remove_latency, seconds
    int hashSize = 12;        // hash_size: 2^n buckets of kWays addresses
    bool earlyDrop = false;   // early_drop: blocked sources dropped before parsing
};

// The loader writes the parameters here (module::ParamSpec targets must be constant addresses).
extern Settings g_settings;
inline Settings& settings() {
    return g_settings;
}
RateTable* table();  // nullptr before init
void setTable(RateTable* t);

// The clock pike counts in: whole seconds of CLOCK_MONOTONIC_COARSE (never 0 on a running
// system, which rate_table.h relies on).
uint32_t nowSec() noexcept;

struct Counters {
    stats::Counter blocked;       // pike:blocked_ips (Kamailio's): addresses that became hot
    stats::Counter droppedEarly;  // pike:early_dropped: messages dropped before parsing
};
Counters& counters();

}  // namespace osprey::pike
