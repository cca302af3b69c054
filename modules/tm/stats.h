// tm's counters (Kamailio's tm.stats): in shm, updated with relaxed atomics by every process.
#pragma once
#include <atomic>
#include <cstdint>

namespace osprey::tm {

struct Stats {
    std::atomic<uint64_t> created{0};   // transactions created (total)
    std::atomic<int64_t> current{0};    // transactions alive now
    std::atomic<uint64_t> replied[7];   // final replies sent upstream, by class (index 1..6)
    std::atomic<uint64_t> localReplies{0};     // of those, generated here (t_reply, 408, ...)
    std::atomic<uint64_t> retransmissions{0};  // request retransmissions absorbed
    std::atomic<uint64_t> retransmitted{0};    // our own retransmissions (timers A/E/G)
    std::atomic<uint64_t> branches{0};         // branches sent
    std::atomic<uint64_t> canceled{0};         // transactions canceled by a CANCEL
    std::atomic<uint64_t> dnsFailovers{0};     // branches to a name's next target (503, timeout)
    std::atomic<uint64_t> outOfMemory{0};
    std::atomic<int64_t> shmBytes{0};  // bytes tm holds in shm for transactions (requested sizes)
};

// Created in shm by init(); a process-local dummy before that (unit tests).
Stats& stats();
bool initStats();
// One line with every counter (and shm bytes per live transaction), at NOTICE.
void logStats();

}  // namespace osprey::tm
