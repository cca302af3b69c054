// CommitWait: write-through waiters and the writer's commit notices (see commit_wait.h).
#include "modules/usrloc/commit_wait.h"

#include <signal.h>

#include <cerrno>
#include <climits>

#include "core/timer/clock.h"
#include "mem/lock/futex.h"

namespace osprey::usrloc {

namespace {

// A dead writer is noticed within this (the master restarts it; meanwhile nobody hangs).
constexpr uint32_t kSliceMs = 50;

}  // namespace

const char* commitResultText(CommitResult r) {
    switch (r) {
        case CommitResult::Committed:
            return "committed";
        case CommitResult::Failed:
            return "the database write failed";
        case CommitResult::WriterGone:
            return "the usrloc process is not running";
        case CommitResult::TimedOut:
            return "no commit in time";
    }
    return "?";
}

bool CommitWait::writerAlive() const {
    const int pid = writerPid_.load(std::memory_order_acquire);
    return pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH;
}

CommitResult CommitWait::wait(uint64_t seq, uint32_t timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    for (;;) {
        const uint32_t word = word_.load(std::memory_order_seq_cst);
        if (resolved_.load(std::memory_order_seq_cst) >= seq)
            return failedThrough_.load(std::memory_order_acquire) >= seq ? CommitResult::Failed
                                                                         : CommitResult::Committed;
        const int64_t left = deadline - timer::nowMs();
        if (left <= 0) return CommitResult::TimedOut;
        waiters_.fetch_add(1, std::memory_order_seq_cst);
        int rc = 0;
        if (resolved_.load(std::memory_order_seq_cst) < seq)
            rc = mem::futexWait(&word_, word,
                                static_cast<uint32_t>(left < kSliceMs ? left : kSliceMs));
        waiters_.fetch_sub(1, std::memory_order_seq_cst);
        if (rc == ETIMEDOUT && resolved_.load(std::memory_order_seq_cst) < seq && !writerAlive())
            return CommitResult::WriterGone;
    }
}

void CommitWait::publish(uint64_t through, bool ok) {
    if (!ok) failedThrough_.store(through, std::memory_order_seq_cst);
    if (through > resolved_.load(std::memory_order_relaxed))
        resolved_.store(through, std::memory_order_seq_cst);
    word_.fetch_add(1, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) != 0) mem::futexWake(&word_, INT_MAX);
}

void CommitWait::recoverAfterWriterDeath(uint64_t drainedThrough) {
    if (drainedThrough > resolved_.load(std::memory_order_acquire)) publish(drainedThrough, false);
}

}  // namespace osprey::usrloc
