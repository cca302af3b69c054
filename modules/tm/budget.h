// tm's budget of the shared segment. Transactions live in the segment that also holds
// registrations, TCP write queues and other modules' state; a flood of requests the callee
// never answers (or a closed-loop benchmark whose finished transactions wait wt_timer each)
// could otherwise fill it, and then everything that needs shm fails. So a new transaction is
// created only while tm holds less than its share (max_shm_percent of the segment) and fewer
// transactions than max_transactions; past either, t_relay / t_newtran / t_reply refuse it and
// the request is answered statelessly 503 with Retry-After (uas.cpp). What already exists is
// never refused: retransmissions, ACKs and CANCELs match existing transactions, and an
// existing transaction's branches and replies are allocated as before, so it completes.
//
// Counted in shm atomics beside tm's statistics (which are per-process rows, too slow to sum
// per request): every byte tm allocates for a transaction (cell_mem.cpp, the requested sizes
// its shm_bytes statistic counts) and every live transaction. The check is "held < limit"
// before the new transaction's block is allocated; the transactions in flight may then grow
// (branches, replies) a little past it, which is what the rest of the segment is for. Workers
// that check at the same moment may each pass: the overshoot is at most one transaction per
// worker.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace osprey::tm {

struct BudgetLimits {
    int64_t maxBytes = 0;  // 0: no byte limit
    int64_t maxCount = 0;  // 0: no count limit
};

enum class Admit : uint8_t { Ok, OverBytes, OverCount };

// The byte limit for a segment of segmentBytes and a share of percent (1..100); 0 (no limit
// of tm's own: only the segment's end) for 100.
int64_t bytesLimit(size_t segmentBytes, int percent);

// Whether one more transaction may be created while tm holds heldBytes in liveCount.
Admit admit(const BudgetLimits& limits, int64_t heldBytes, int64_t liveCount);

// The counts in shm, shared by every process.
struct BudgetState {
    BudgetLimits limits;
    std::atomic<int64_t> bytes{0};
    std::atomic<int64_t> count{0};
};

// Master, in init (before fork): the state in shm, counts at 0. False when out of shm.
bool createBudget(const BudgetLimits& limits);
void destroyBudget();
// nullptr before createBudget (unit tests that make cells without the module's init).
BudgetState* budget();

inline void budgetBytes(int64_t delta) {
    if (BudgetState* b = budget()) b->bytes.fetch_add(delta, std::memory_order_relaxed);
}
inline void budgetCount(int64_t delta) {
    if (BudgetState* b = budget()) b->count.fetch_add(delta, std::memory_order_relaxed);
}
// Admit::Ok when there is no budget.
inline Admit admitNew() {
    const BudgetState* b = budget();
    if (b == nullptr) return Admit::Ok;
    return admit(b->limits, b->bytes.load(std::memory_order_relaxed),
                 b->count.load(std::memory_order_relaxed));
}

}  // namespace osprey::tm
