#include "test/bench/load/transaction_table.h"

namespace osprey::load {

TransactionTable::TransactionTable(uint32_t capacity) : slots_(capacity) {
    free_.reserve(capacity);
    // Lowest slot numbers first: they are handed out from the back.
    for (uint32_t i = capacity; i > 0; i--) free_.push_back(i - 1);
}

Transaction* TransactionTable::open(uint64_t seq, uint64_t nowNs, bool measured, uint32_t& slot) {
    if (free_.empty()) return nullptr;
    slot = free_.back();
    free_.pop_back();
    Transaction& t = slots_[slot];
    t.seq = seq;
    t.startNs = t.phaseNs = nowNs;
    t.generation++;
    t.phase = 'i';
    t.busy = true;
    t.measured = measured;
    outstanding_++;
    return &t;
}

Transaction* TransactionTable::find(uint32_t slot, uint32_t generation) {
    if (slot >= slots_.size()) return nullptr;
    Transaction& t = slots_[slot];
    return (t.busy && t.generation == generation) ? &t : nullptr;
}

void TransactionTable::close(uint32_t slot) {
    if (!slots_[slot].busy) return;
    slots_[slot].busy = false;
    free_.push_back(slot);
    outstanding_--;
}

}  // namespace osprey::load
