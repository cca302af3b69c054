// Per source IP budgets of the TLS transport (README.md "TLS"): connections and handshakes
// in progress. A fixed array of counters in shm indexed by the address hash (tcp_conn_table.h
// TcpConn::ipHash), twice the connection capacity, so two peers rarely share a counter (if they do,
// they share its budget, which errs on the side of refusing). tcp-main takes a place when it
// accepts a TLS connection and the owning worker gives it back (pending when the handshake
// ends, the connection when it closes).
#pragma once
#include <atomic>
#include <cstdint>

namespace osprey::net {

class TlsIpLimits {
public:
    static bool create(uint32_t slots, unsigned maxPending, unsigned maxConnections);
    static void destroy();
    static TlsIpLimits* get();

    enum class Take : uint8_t { Ok, TooManyPending, TooManyConnections };
    Take take(uint32_t ipHash);
    void handshakeEnded(uint32_t ipHash);
    void closed(uint32_t ipHash);

private:
    struct Slot {
        std::atomic<uint32_t> pending{0};
        std::atomic<uint32_t> connections{0};
    };
    uint32_t slots_ = 0;
    unsigned maxPending_ = 0;
    unsigned maxConnections_ = 0;
    Slot* table_ = nullptr;  // in shm
};

}  // namespace osprey::net
