// Group commit for write-through (db_mode 1): the 200 OK for a changed binding leaves only
// after the usrloc process has committed the SQLite transaction holding that change, so it is
// never sent for a binding a crash could still lose. Either the usrloc process sends it after
// the commit (UDP, reply_sender.h), or the SIP worker waits here for the verdict and replies
// itself (everything else). Lives in shm inside the change ring.
//
// Every queued change gets a sequence number (ChangeRing assigns them under its lock, in queue
// order). The writer drains everything queued, writes it in one transaction and publishes
// "resolved up to N" (and, when the transaction failed, "failed up to N"); the waiters of all
// the changes in that batch wake together. So one commit (and, with synchronous=FULL, one
// fsync) serves every worker whose change arrived while the previous batch was being written.
//
// Concurrency: the writer stores failedThrough_ before resolved_, then bumps the futex word and
// wakes if anyone announced itself in waiters_. A waiter reads the word before looking at
// resolved_, so a publish between its look and its sleep changes the word and FUTEX_WAIT
// returns at once (no lost wake-up). A waiter holds no lock while it waits.
//
// Verdict for change N once resolved_ >= N: committed iff failedThrough_ < N. failedThrough_
// only grows, so a failure is never reported as a commit; a waiter that looks only after a
// later batch failed too gets a (conservative) failure although its own batch committed.
#pragma once
#include <atomic>
#include <cstdint>

namespace osprey::usrloc {

enum class CommitResult : uint8_t {
    Committed,   // in the database (as durable as the SQLite settings make it)
    Failed,      // the transaction holding it failed or the database is not open
    WriterGone,  // the usrloc process is not running; the change may be written after its restart
    TimedOut,    // no verdict within the bound
};

const char* commitResultText(CommitResult r);

class CommitWait {
public:
    // Worker side: waits (at most timeoutMs) until change `seq` is resolved.
    CommitResult wait(uint64_t seq, uint32_t timeoutMs);

    // Writer side: the changes up to `through` were written (ok) or lost (!ok).
    void publish(uint64_t through, bool ok);
    // Writer side, at start: a writer that died between draining and publishing took the
    // changes up to drainedThrough with it; they are reported as failed (conservative: they
    // may have reached the database before it died).
    void recoverAfterWriterDeath(uint64_t drainedThrough);
    void setWriterPid(int pid) { writerPid_.store(pid, std::memory_order_release); }
    // Writer side: called on every turn of its loop (at least every 100 ms, also when idle).
    void heartbeat(int64_t nowMs) { heartbeat_.store(nowMs, std::memory_order_relaxed); }
    // Worker side: the writer turned within the last withinMs, so a reply left to it will be
    // sent soon. A stalled writer (stopped, stuck in a slow fsync) is not: workers then wait
    // themselves, bounded, and answer 500 when nothing was committed in time.
    bool writerResponsive(int64_t nowMs, int64_t withinMs) const {
        return nowMs - heartbeat_.load(std::memory_order_relaxed) <= withinMs;
    }

    uint64_t resolved() const { return resolved_.load(std::memory_order_acquire); }
    uint64_t failedThrough() const { return failedThrough_.load(std::memory_order_acquire); }

private:
    bool writerAlive() const;

    std::atomic<uint64_t> resolved_{0};
    std::atomic<uint64_t> failedThrough_{0};
    std::atomic<uint32_t> word_{0};     // futex: bumped on every publish
    std::atomic<uint32_t> waiters_{0};  // workers inside wait()
    std::atomic<int32_t> writerPid_{0};
    std::atomic<int64_t> heartbeat_{0};  // CLOCK_MONOTONIC ms
};

}  // namespace osprey::usrloc
