// Rate limit for log lines that hostile or broken traffic could trigger per packet: at most
// one line per interval per call site and process, with the number suppressed in between.
//
//     static net::LogLimit limit;
//     if (uint64_t skipped; limit.allow(&skipped)) LM_NOTICE("... (%lu more)", ..., skipped);
#pragma once
#include <cstdint>

#include "core/timer/clock.h"

namespace osprey::net {

class LogLimit {
public:
    explicit LogLimit(int64_t intervalMs = 1000) : intervalMs_(intervalMs) {}
    // True when a line may be written now; *suppressed gets how many were not since the last.
    bool allow(uint64_t* suppressed) {
        const int64_t now = timer::coarseNowMs();
        if (last_ != 0 && now - last_ < intervalMs_) {
            ++skipped_;
            return false;
        }
        last_ = now;
        *suppressed = skipped_;
        skipped_ = 0;
        return true;
    }

private:
    int64_t intervalMs_;
    int64_t last_ = 0;
    uint64_t skipped_ = 0;
};

}  // namespace osprey::net
