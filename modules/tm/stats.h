// tm's counters, in the statistics framework (core/stats): Kamailio's tmx names for what
// tmx reports (tmx:UAS_transactions, 2xx_transactions .. 6xx_transactions, inuse_transactions,
// active_transactions, rpl_received, rpl_absorbed, rpl_generated, rpl_relayed, rpl_sent) and
// tm's own in group tm (retransmissions absorbed and sent, branches, CANCELs, shm use). tm
// declares them all, so they exist whether or not tmx is loaded. Each process counts in its
// own row; stats::value(counters().inuse) reads the total. Computed when read rather than
// counted per message: tmx:active_transactions (created - completed - unanswered),
// tmx:rpl_sent (generated + relayed), tmx:rpl_absorbed (received - relayed).
#pragma once
#include "core/stats/counter.h"

namespace osprey::tm {

struct Stats {
    stats::Counter uas;              // tmx:UAS_transactions: transactions created
    stats::Counter uac;              // tmx:UAC_transactions: locally initiated (none yet)
    stats::Counter replied[7];       // tmx:<n>xx_transactions: final reply sent upstream, [2..6]
    stats::Gauge inuse;              // tmx:inuse_transactions: alive now
    stats::Counter unanswered;       // tm:unanswered_transactions: freed without a final reply
    stats::Counter rplReceived;      // tmx:rpl_received: replies matched to a transaction
    stats::Counter rplGenerated;     // tmx:rpl_generated: replies tm built here (t_reply, 408 ...)
    stats::Counter rplRelayed;       // tmx:rpl_relayed: received replies relayed upstream
    stats::Counter retransmissions;  // tm:retransmissions_absorbed: request retransmissions
    stats::Counter retransmitted;    // tm:retransmissions_sent: ours (timers A/E/G)
    stats::Counter branches;         // tm:branches_sent
    stats::Counter canceled;         // tm:canceled_transactions: canceled by a CANCEL
    stats::Counter dnsFailovers;     // tm:dns_failovers: branches to a name's next target
    stats::Counter outOfMemory;      // tm:out_of_shm
    stats::Counter budgetRefused;    // tm:budget_refused: new transactions refused (503), budget.h
    stats::Gauge shmBytes;           // tm:shm_bytes: held for transactions (requested sizes)
};

// The handles (valid in every process: declared in the master before fork). Inline: the hot
// path reads a handle without a call.
extern Stats g_counters;
inline const Stats& counters() {
    return g_counters;
}
// Declares the counters (idempotent). False when the statistics table is full.
bool initStats();

// Every counter's value now, summed over the processes (tm.stats RPC, the log line).
struct Totals {
    int64_t current = 0;  // inuse
    int64_t created = 0;  // uas
    int64_t replied[7] = {};
    int64_t rplReceived = 0, rplGenerated = 0, rplRelayed = 0;
    int64_t retransmissions = 0, retransmitted = 0, branches = 0, canceled = 0;
    int64_t dnsFailovers = 0, outOfMemory = 0, shmBytes = 0, budgetRefused = 0;
};
Totals totals();
// One line with every counter (and shm bytes per live transaction), at NOTICE.
void logStats();

}  // namespace osprey::tm
