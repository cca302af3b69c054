// Algorithm 10's keys (ds_load_keys.h): computing, refreshing and scanning them.
#include "modules/dispatcher/ds_load_keys.h"

#include <algorithm>
#include <atomic>

#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"

namespace osprey::dispatcher {

namespace {

// Destination i's key from the inputs as they are now.
uint64_t keyNow(const List& l, uint32_t i, const std::atomic<int32_t>* counters) {
    const Dest& d = l.dests[i];
    if (!usable(d.flags.load(std::memory_order_seq_cst))) return kNoLoadKey;
    // A destination without duid reads the counter that stays 0 (ds_calls.h).
    const int32_t load =
        counters != nullptr ? counters[d.loadSlot].load(std::memory_order_seq_cst) : 0;
    if (d.maxload != 0 && load >= d.maxload) return kNoLoadKey;
    // Only tracked calls are lowered, so a count never goes below 0.
    return uint64_t{static_cast<uint32_t>(std::max(load, 0))} << 32 | i;
}

// Stores the key until a re-read of the inputs agrees with it (ds_load_keys.h says why).
void refresh(const List& l, uint32_t i, const std::atomic<int32_t>* counters) {
    uint64_t want = keyNow(l, i, counters);
    for (;;) {
        l.loadKeys[i].store(want, std::memory_order_seq_cst);
        const uint64_t now = keyNow(l, i, counters);
        if (now == want) return;
        want = now;
    }
}

}  // namespace

void loadChanged(int slot) {
    if (slot < 0 || slot >= kZeroSlot) return;
    // The counter's change comes before the read of the list pointer: a reload that publishes
    // after this read refreshes its new list and sees the change (refreshLoadKeys).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    ReadScope rs;
    const List* l = rs.list();
    if (l == nullptr) return;
    const std::atomic<int32_t>* counters = loadCounters();
    for (uint32_t i = l->loadFirst[slot]; i != kNoDest; i = l->loadNext[i]) {
        refresh(*l, i, counters);
    }
}

void refreshLoadKeys(const List& l) {
    const std::atomic<int32_t>* counters = loadCounters();
    for (uint32_t i = 0; i < l.nDests; ++i) refresh(l, i, counters);
}

void refreshSetLoadKeys(const List& l, const Set& s) {
    const std::atomic<int32_t>* counters = loadCounters();
    for (uint32_t i = 0; i < s.count; ++i) refresh(l, s.first + i, counters);
}

int leastLoaded(const List& l, const Set& s, uint32_t pool) {
    // Branch-free: the worst case (each destination less loaded than the one before) costs
    // what the best does. Four running minima, so the loop's own cost is paid once per four
    // keys (the minimum does not depend on the order it is taken in). Relaxed loads: a key a
    // refresh is about to replace is good enough.
    const std::atomic<uint64_t>* k = l.loadKeys + s.first;
    const std::atomic<uint64_t>* const end = k + pool;
    auto less = [](uint64_t a, const std::atomic<uint64_t>& b) {
        const uint64_t v = b.load(std::memory_order_relaxed);
        return v < a ? v : a;
    };
    uint64_t m0 = kNoLoadKey, m1 = kNoLoadKey, m2 = kNoLoadKey, m3 = kNoLoadKey;
    for (; end - k >= 4; k += 4) {
        m0 = less(m0, k[0]);
        m1 = less(m1, k[1]);
        m2 = less(m2, k[2]);
        m3 = less(m3, k[3]);
    }
    for (; k != end; ++k) m0 = less(m0, *k);
    m0 = m1 < m0 ? m1 : m0;
    m2 = m3 < m2 ? m3 : m2;
    const uint64_t best = m2 < m0 ? m2 : m0;
    if (best == kNoLoadKey) return -1;
    return static_cast<int>(static_cast<uint32_t>(best) - s.first);
}

}  // namespace osprey::dispatcher
