// The UAC's outstanding transactions: one slot per place in the window, reused through a free
// list. A response finds its slot by the slot number and generation in its Via branch, so a
// late response to a slot that has since been reused (after a timeout) is told apart.
#pragma once
#include <cstdint>
#include <vector>

namespace osprey::load {

struct Transaction {
    uint64_t seq = 0;      // request number of the run (AOR, Call-ID)
    uint64_t startNs = 0;  // first request sent: latency is measured from here
    uint64_t phaseNs = 0;  // current request sent: the timeout runs from here
    uint32_t generation = 0;
    char phase = 'i';  // 'i' initial request, 'b' BYE of a call
    bool busy = false;
    bool measured = false;  // started inside the measurement window (after warm-up)
};

class TransactionTable {
public:
    explicit TransactionTable(uint32_t capacity);

    // A free slot made busy, or nullptr when the window is full.
    Transaction* open(uint64_t seq, uint64_t nowNs, bool measured, uint32_t& slot);
    // The busy transaction of this slot and generation, or nullptr.
    Transaction* find(uint32_t slot, uint32_t generation);
    void close(uint32_t slot);

    uint32_t outstanding() const { return outstanding_; }
    uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }

    // Closes every transaction whose current request is older than timeoutNs, calling
    // onExpired(const Transaction&) for each first.
    template <class F>
    void expire(uint64_t nowNs, uint64_t timeoutNs, F&& onExpired) {
        if (outstanding_ == 0) return;
        for (uint32_t i = 0; i < slots_.size(); i++) {
            Transaction& t = slots_[i];
            if (t.busy && nowNs - t.phaseNs >= timeoutNs) {
                onExpired(t);
                close(i);
            }
        }
    }
    template <class F>
    void forEachBusy(F&& f) const {
        for (const Transaction& t : slots_)
            if (t.busy) f(t);
    }

private:
    std::vector<Transaction> slots_;
    std::vector<uint32_t> free_;
    uint32_t outstanding_ = 0;
};

}  // namespace osprey::load
