// What a process is for (docs/design.md §2). Every process has one rank; modules get
// childInit(rank) in each process, and logs name the rank in their prefix.
#pragma once
#include <cstdint>

namespace osprey::proc {

enum class Rank : uint8_t {
    Master,     // attendant: parses config, creates shm, forks and supervises
    SipWorker,  // receive -> parse -> route -> send on the UDP sockets
    TcpMain,    // accepts TCP/TLS connections and hands them to TCP workers
    TcpWorker,  // reads and routes messages of the connections it owns
    Timer,      // transaction and registration timers
    Control,    // the RPC socket
    Dns,        // asynchronous DNS resolution into the shared cache (core/dns/)
    Custom,     // a process a module forks for itself
};

// "master", "sip", "tcp-main", "tcp", "timer", "ctl", "dns", "custom"
const char* rankName(Rank r);

}  // namespace osprey::proc
