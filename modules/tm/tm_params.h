// tm's module parameters (Kamailio's names and units: milliseconds), set by the loader in the
// master before init and inherited by every process.
#pragma once
#include <cstdint>

namespace osprey::tm {

struct Params {
    int t1 = 500;               // retr_timer1: RFC 3261 T1, first retransmission interval
    int t2 = 4000;              // retr_timer2: T2, cap of the retransmission interval
    int t4 = 5000;              // T4: how long a non-INVITE answer stays for retransmissions
    int frTimer = 30000;        // fr_timer: no final reply (no reply at all for INVITE) in time
    int frInvTimer = 120000;    // fr_inv_timer: no final reply after a provisional (timer C)
    int wtTimer = 5000;         // wt_timer: how long a finished transaction stays (absorbing)
    int maxInvLifetime = 180000;    // max_inv_lifetime: an INVITE transaction ends by then
    int maxNoninvLifetime = 32000;  // max_noninv_lifetime
    int hashSize = 8192;        // hash_size: buckets, a power of two
    int statsLogInterval = 0;   // stats_log_interval: log tm's counters every N ms (0: never)
    int autoInv100 = 1;         // auto_inv_100: 100 Trying at once for INVITE
};

// The defaults, as the parameter table declares them (tm.cpp kParams).
inline constexpr Params kDefaultParams{};

extern Params g_params;

}  // namespace osprey::tm
