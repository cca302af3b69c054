// tcp_send_timeout as progress, not as "any write succeeded": a connection's unsent data is
// what our write queue holds plus what the kernel holds (SIOCOUTQ: not yet sent or not yet
// acknowledged), and the peer makes progress when, within tcp_send_timeout, either
//   - nothing is left unsent (both queues emptied), or
//   - it acknowledged at least tcp_send_min_progress more bytes (TCP_INFO tcpi_bytes_acked).
// Otherwise the connection is cut. So a peer that stops reading is cut even when everything
// we sent fits in the kernel's buffers, and a peer that reads a few bytes a second (each
// read opening the window a little and restarting the old "last write" clock) is cut too;
// a peer that takes a SIP message's worth of data per timeout keeps its connection.
//
// The owner checks at its periodic sweep (every kTcpSweepMs), and only connections that
// wrote since the kernel was last seen empty cost system calls, at most once per
// checkInterval (a quarter of the timeout, 100 ms to 1 s): a cut comes between
// tcp_send_timeout and a quarter later.
#pragma once
#include <cstddef>
#include <cstdint>

namespace osprey::net {

// What the kernel holds of a socket's sent data; ok is false when it cannot tell.
struct KernelSendState {
    bool ok = false;
    uint32_t unsent = 0;  // SIOCOUTQ: octets not sent or not acknowledged
    uint64_t acked = 0;   // TCP_INFO tcpi_bytes_acked: octets the peer acknowledged so far
};
KernelSendState kernelSendState(int fd);

class SendProgress {
public:
    // A new connection: nothing unsent.
    void reset(int64_t nowMs) {
        sinceMs_ = idleSeenMs_ = nowMs;
        checkedMs_ = INT64_MIN / 2;
        ackedMark_ = 0;
    }
    static int64_t checkInterval(int64_t timeoutMs) {
        const int64_t q = timeoutMs / 4;
        return q < 100 ? 100 : q > 1000 ? 1000 : q;
    }
    // Whether the kernel was asked less than intervalMs ago (then the sweep skips it).
    bool checkedRecently(int64_t nowMs, int64_t intervalMs) const {
        return nowMs - checkedMs_ < intervalMs;
    }
    // Whether the kernel must be asked: data is queued, or the socket was written to since
    // the kernel was last seen empty (lastWriteMs: the owner's last write, or later).
    bool mustCheck(bool queued, int64_t lastWriteMs) const {
        return queued || lastWriteMs >= idleSeenMs_;
    }
    // Nothing was written since everything was last seen delivered.
    void stillIdle(int64_t nowMs) { sinceMs_ = nowMs; }
    // The kernel's answer, with whether our queue holds data. True: no progress for longer
    // than timeoutMs, cut the connection.
    bool check(int64_t nowMs, bool queued, const KernelSendState& k, size_t minProgress,
               int64_t timeoutMs) {
        checkedMs_ = nowMs;
        if (!k.ok) {
            // Without the kernel's view only our queue counts (its age is timed by the owner).
            sinceMs_ = nowMs;
            return false;
        }
        if (!queued && k.unsent == 0) {
            sinceMs_ = idleSeenMs_ = nowMs;
            ackedMark_ = k.acked;
            return false;
        }
        if (k.acked >= ackedMark_ + minProgress) {
            sinceMs_ = nowMs;
            ackedMark_ = k.acked;
            return false;
        }
        return nowMs - sinceMs_ > timeoutMs;
    }
    int64_t sinceMs() const { return sinceMs_; }

private:
    int64_t sinceMs_ = 0;     // last progress (or last time nothing was unsent)
    int64_t idleSeenMs_ = 0;  // last time nothing was unsent
    int64_t checkedMs_ = 0;   // last time the kernel was asked
    uint64_t ackedMark_ = 0;  // tcpi_bytes_acked at the last progress
};

}  // namespace osprey::net
