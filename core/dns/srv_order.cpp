// orderTargets (srv_order.h).
#include "core/dns/srv_order.h"

#include <unistd.h>

#include <algorithm>

namespace osprey::dns {

namespace {

struct Group {
    uint8_t id;
    uint8_t set;
    uint16_t priority;
    uint16_t weight;
    uint8_t first;  // index of its first target in the input
    uint8_t count;
};

}  // namespace

void orderTargets(Target* t, unsigned n, bool lb, RandomFn random) {
    if (n < 2) return;
    Group groups[kMaxTargets];
    unsigned ng = 0;
    for (unsigned i = 0; i < n && i < kMaxTargets; ++i) {
        if (ng > 0 && groups[ng - 1].id == t[i].group) {
            ++groups[ng - 1].count;
            continue;
        }
        groups[ng++] =
            Group{t[i].group, t[i].set, t[i].priority, t[i].weight, static_cast<uint8_t>(i), 1};
    }
    // Priority ascending; within one, weight 0 first (the RFC's arrangement before the draw)
    // when balancing, else the higher weight first. Stable: equal records keep their order.
    std::stable_sort(groups, groups + ng, [lb](const Group& a, const Group& b) {
        if (a.set != b.set) return a.set < b.set;
        if (a.priority != b.priority) return a.priority < b.priority;
        if (lb) return (a.weight == 0) > (b.weight == 0);
        return a.weight > b.weight;
    });
    if (lb && random != nullptr) {
        for (unsigned start = 0; start < ng;) {
            unsigned end = start;
            while (end < ng && groups[end].set == groups[start].set &&
                   groups[end].priority == groups[start].priority) {
                ++end;
            }
            for (unsigned k = start; k + 1 < end; ++k) {
                uint32_t sum = 0;
                for (unsigned j = k; j < end; ++j) sum += groups[j].weight;
                unsigned pick = k;
                if (sum > 0) {
                    const uint32_t r = random(sum) + 1;  // [1, sum]
                    uint32_t running = 0;
                    for (unsigned j = k; j < end; ++j) {
                        running += groups[j].weight;
                        if (running >= r) {
                            pick = j;
                            break;
                        }
                    }
                }
                std::rotate(groups + k, groups + pick, groups + pick + 1);
            }
            start = end;
        }
    }
    Target copy[kMaxTargets];
    std::copy(t, t + n, copy);
    unsigned out = 0;
    for (unsigned g = 0; g < ng; ++g) {
        for (unsigned i = 0; i < groups[g].count; ++i) t[out++] = copy[groups[g].first + i];
    }
}

uint32_t processRandom(uint32_t bound) {
    // Seeded on first use in each process (after fork), so workers do not draw in lockstep.
    static pid_t seededFor = 0;
    static uint64_t state = 0;
    if (seededFor != getpid()) {
        seededFor = getpid();
        state = 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(seededFor) << 17) ^
                reinterpret_cast<uintptr_t>(&state);
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return bound == 0 ? 0 : static_cast<uint32_t>(state % bound);
}

}  // namespace osprey::dns
