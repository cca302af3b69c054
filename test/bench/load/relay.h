// Relay mode: the floor of a stateless SIP forwarder on this machine. It parses nothing:
// datagrams from the UAS go back to the last client seen, every other datagram goes to the
// UAS; one recvmmsg and one sendmmsg per batch. Router CPU per request minus the relay's is
// what SIP processing costs. Ends on SIGTERM/SIGINT or after maxSeconds, printing
//   RELAY to_uas=... to_client=... elapsed_s=... cpu_s=...
#pragma once
#include "test/bench/load/endpoint.h"

namespace osprey::load {

struct RelayOptions {
    Endpoint listen;
    Endpoint uas;
    double maxSeconds = 3600;
};

int runRelay(const RelayOptions& opts);

}  // namespace osprey::load
