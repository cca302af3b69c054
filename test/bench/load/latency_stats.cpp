#include "test/bench/load/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace osprey::load {

LatencyStats::LatencyStats(size_t expected, size_t maxSamples) : maxSamples_(maxSamples) {
    samples_.reserve(std::min(expected, maxSamples));
}

void LatencyStats::add(uint64_t micros) {
    if (samples_.size() >= maxSamples_) return;
    samples_.push_back(micros > 0xffffffffull ? 0xffffffffu : static_cast<uint32_t>(micros));
}

void LatencyStats::finish() {
    std::sort(samples_.begin(), samples_.end());
}

uint64_t LatencyStats::percentile(double p) const {
    if (samples_.empty()) return 0;
    // Nearest rank: the smallest sample with at least p of the samples at or below it.
    size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(samples_.size())));
    if (rank < 1) rank = 1;
    return samples_[std::min(rank, samples_.size()) - 1];
}

}  // namespace osprey::load
