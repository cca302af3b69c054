// tm's module parameters (Kamailio's names and units: milliseconds), set by the loader in the
// master before init and inherited by every process.
#pragma once
#include <cstdint>

#include "core/module/live_params.h"

namespace osprey::tm {

struct Params {
    int t1 = 500;                   // retr_timer1: RFC 3261 T1, first retransmission interval
    int t2 = 4000;                  // retr_timer2: T2, cap of the retransmission interval
    int t4 = 5000;                  // T4: how long a non-INVITE answer stays for retransmissions
    int frTimer = 30000;            // fr_timer: no final reply (no reply at all for INVITE) in time
    int frInvTimer = 120000;        // fr_inv_timer: no final reply after a provisional (timer C)
    int wtTimer = 5000;             // wt_timer: how long a finished transaction stays (absorbing)
    int maxInvLifetime = 180000;    // max_inv_lifetime: an INVITE transaction ends by then
    int maxNoninvLifetime = 32000;  // max_noninv_lifetime
    int hashSize = 8192;            // hash_size: buckets, a power of two
    int statsLogInterval = 0;       // stats_log_interval: log tm's counters every N ms (0: never)
    int autoInv100 = 1;             // auto_inv_100: 100 Trying at once for INVITE
    // The shm budget (budget.h): tm may hold at most this share of the segment (100: no share
    // of its own, only the segment's end) and this many transactions (0: no count limit); past
    // either a new request gets 503 with Retry-After: budgetRetryAfter seconds.
    int maxShmPercent = 60;    // max_shm_percent
    int maxTransactions = 0;   // max_transactions
    int budgetRetryAfter = 5;  // budget_retry_after (s)
};

// The defaults, as the parameter table declares them (tm.cpp kParams).
inline constexpr Params kDefaultParams{};

// What the loader filled (master); read the timers through param(), not from here: they can
// change at run time (cfg.set tm fr_timer 5000), and every process sees the shm copy.
extern Params g_params;
extern Params* g_live;  // the shm copy after init; &g_params before (unit tests)

inline int param(int Params::*field) {
    return module::liveRead(g_live->*field);
}

}  // namespace osprey::tm
