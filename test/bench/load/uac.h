// UAC mode: keeps up to `window` transactions (calls, for invite) outstanding, optionally
// paced to `rate` new ones per second, until `count` were started or `duration` seconds
// passed (after `warmup` seconds that are not measured). A response finds its transaction by
// the Via branch this run put in; there are no retransmissions, so a lost datagram is a
// timeout. Ends with one line:
//   RESULT scenario=... sent=... ok=... fail=... timeout=... rps=... p50_us=... p99_us=... ...
// (sent/ok/fail/timeout/rps/percentiles count only the transactions started after warm-up).
#pragma once
#include <cstdint>

#include "test/bench/load/endpoint.h"
#include "test/bench/load/scenario.h"

namespace osprey::load {

struct UacOptions {
    Endpoint target;
    Endpoint bind;  // port 0: any
    Endpoint uas;   // Contact of the registrations
    Scenario scenario = Scenario::Options;
    uint32_t window = 64;
    double rate = 0;       // new transactions per second; 0 = as fast as the window allows
    uint64_t count = 0;    // 0 = until the duration ends
    double duration = 10;  // seconds of sending after the warm-up (an upper bound with count)
    double warmup = 0;
    double timeoutMs = 2000;
    unsigned aors = 1000;
};

int runUac(const UacOptions& opts);

}  // namespace osprey::load
