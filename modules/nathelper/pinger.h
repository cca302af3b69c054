// NAT keepalives (Kamailio's natping): every natping_interval seconds each pinged binding gets
// an OPTIONS (sipping_bflag) or a 4-byte UDP datagram, sent from the listen socket its REGISTER
// came in on to the address the NAT showed (received) — which keeps the NAT's mapping open.
//
// Work is spread evenly over the interval: the pinger walks usrloc's slots in order, slot k of
// n due at k/n of the interval, one slot locked at a time and only while its bindings are
// copied out (the datagrams are built and sent after the lock is released). With
// natping_processes N, process i takes the slots i, i+N, i+2N, ...; it runs in its own
// process, never in a SIP worker.
//
// Answers: an OPTIONS carries a From tag naming its table and AOR, so the worker receiving
// the answer records a sign of life on the binding (usrloc Api::keepalive) and drops the
// answer. With keepalive_timeout T, a SIP-pinged binding with no sign of life (answer or
// REGISTER) for T seconds is removed when its slot's turn comes.
#pragma once
#include <cstdint>
#include <string>

#include "core/proc/process_kind.h"
#include "core/stats/counter.h"

namespace osprey::route {
struct MsgContext;
}
namespace osprey::usrloc {
struct Api;
}

namespace osprey::nathelper {

struct PingSettings {
    int interval = 0;          // natping_interval, seconds; 0 = no pinging
    int processes = 1;         // natping_processes
    int keepaliveTimeout = 0;  // seconds; 0 = bindings are never removed for silence
    bool natedOnly = false;    // ping_nated_only: only bindings with usrloc's nat_bflag
    uint32_t sipMask = 0;      // 1 << sipping_bflag, 0 when unset
    uint32_t natMask = 0;      // 1 << usrloc nat_bflag, 0 when unset
    uint32_t disableMask = 0;  // 1 << natping_disable_bflag, 0 when unset
    std::string method = "OPTIONS";
    std::string from;  // sipping_from
};

struct PingStats {
    stats::Counter sent;      // OPTIONS and UDP pings sent
    stats::Counter answered;  // answers to OPTIONS pings
    stats::Counter timeouts;  // bindings removed by keepalive_timeout
};

// Set once in the master before fork (false: no shm for the on/off switch).
bool configurePinger(const PingSettings& s, const usrloc::Api* ul, PingStats* st);

// nathelper.enable_ping: pinging on or off for every natping process (a word in shm). False
// when pinging is not configured (natping_interval 0).
bool setPingEnabled(bool on);

// The natping process body (ProcessKind::main).
int pingerMain(const proc::ChildContext& self);

// One pass over slot `slot` of every table for this process: what the process does when the
// slot's turn comes (also used by the benchmark). Returns the pings sent.
size_t pingSlot(size_t slot, int64_t nowSec);

// The largest slot count of the tables (a pass walks 0..n-1).
size_t pingSlotCount();

// A worker's reply hook: true (and a sign of life recorded) when mc is the answer to one of
// our OPTIONS pings.
bool takeKeepaliveReply(route::MsgContext& mc);

}  // namespace osprey::nathelper
