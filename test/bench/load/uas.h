// UAS mode: the far end of every benchmark. Answers each request but ACK with 200 OK
// (RFC 3261 section 8.2.6: Via, From, Call-ID, CSeq copied, To copied with a tag added when it
// has none; Record-Route copied as section 12.1.1 asks of a UAS), adds a Contact to the 2xx
// of an INVITE so the caller can send its ACK and BYE, and batches with recvmmsg/sendmmsg.
// Ends on SIGTERM/SIGINT or after maxSeconds, printing
//   UAS received=... replied=... acks=... bad=... elapsed_s=... cpu_s=...
#pragma once
#include "test/bench/load/endpoint.h"

namespace osprey::load {

struct UasOptions {
    Endpoint listen;
    double maxSeconds = 3600;
};

int runUas(const UasOptions& opts);

}  // namespace osprey::load
