// Latencies of the completed transactions of the measurement window, in microseconds, and
// their percentiles (nearest rank on the sorted samples).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace osprey::load {

class LatencyStats {
public:
    // Keeps at most maxSamples (memory stays bounded on very long runs; later samples are
    // counted but not kept).
    explicit LatencyStats(size_t expected, size_t maxSamples = 64u << 20);

    void add(uint64_t micros);
    // Sorts once; call after the last add().
    void finish();
    // p in [0, 1]; 0 when there are no samples.
    uint64_t percentile(double p) const;
    uint64_t max() const { return samples_.empty() ? 0 : samples_.back(); }
    size_t count() const { return samples_.size(); }

private:
    std::vector<uint32_t> samples_;
    size_t maxSamples_;
};

}  // namespace osprey::load
