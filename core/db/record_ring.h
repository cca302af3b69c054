// The queue between SIP workers and a database writer process (usrloc's change ring, acc's
// records): a byte ring in shm of length-prefixed records. Producers push under a short lock
// and never wait for the database; the writer drains everything queued in one copy and writes
// it in one transaction. A full ring drops the record and counts it, never blocking SIP
// service. Records are numbered in queue order (lastSeq / drainedThrough), so a producer that
// must know when its record is written can compare numbers with what the writer published.
//
// Waking the writer: it sleeps on an eventfd and says so (setWriterSleeping) before its last
// look at the ring, so a push cannot slip between the two; a producer writes the eventfd for
// every record (wakeEach: write-through) or once the ring is half full (batching writers).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mem/lock/futex_mutex.h"

namespace osprey::db {

class RecordRing {
public:
    // Records larger than this are refused (a writer's drain copies whole records).
    static constexpr size_t kMaxRecord = 8192;

    // A ring in shm with its buffer right after it; nullptr when shm is short or capacity is
    // outside 2 * kMaxRecord .. UINT32_MAX / 2.
    static RecordRing* create(size_t capacity, int eventFd, bool wakeEach);
    static void destroy(RecordRing* r);
    // For a ring embedded in another shm object: buf holds capacity bytes that outlive it.
    void init(char* buf, uint32_t capacity, int eventFd, bool wakeEach);

    // Copies rec (len bytes) in as one record; false (counted in dropped()) when it does not fit.
    bool push(const char* rec, uint32_t len);
    // Moves every queued record to `out` (appended, each as u32 length + payload); returns the
    // number of records. *through (optional) gets the sequence number of the last one.
    size_t drain(std::vector<char>& out, uint64_t* through = nullptr);
    // The next record of a drained buffer (advancing `in`); false at the end or when cut.
    static bool next(const char*& in, const char* end, const char** rec, uint32_t* len);

    void setWriterSleeping(bool s) { writerSleeping_.store(s, std::memory_order_seq_cst); }
    bool empty();
    size_t used();  // bytes queued now (a writer's queue depth)
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    // Sequence number of the last record queued (0: none yet).
    uint64_t lastSeq() const { return seq_.load(std::memory_order_acquire); }
    // Sequence number of the last record a writer took out of the ring.
    uint64_t drainedThrough() const { return drained_.load(std::memory_order_acquire); }
    size_t capacity() const { return cap_; }
    // Asks the writer to write what is queued now rather than at its next interval.
    void requestFlush() {
        flushRequested_.store(true, std::memory_order_release);
        wake();
    }
    bool takeFlushRequest() { return flushRequested_.exchange(false, std::memory_order_acq_rel); }

private:
    void wake();

    mem::FutexMutex lock_;
    uint32_t cap_ = 0;
    int eventFd_ = -1;
    bool wakeEach_ = true;
    uint64_t head_ = 0;  // total bytes written (position = head_ % cap_)
    uint64_t tail_ = 0;  // total bytes consumed
    std::atomic<bool> writerSleeping_{false};
    std::atomic<bool> flushRequested_{false};
    std::atomic<uint64_t> dropped_{0};
    std::atomic<uint64_t> seq_{0};      // records queued so far (written under lock_)
    std::atomic<uint64_t> drained_{0};  // of those, taken by drain (written under lock_)
    char* buf_ = nullptr;               // cap_ bytes in shm
};

}  // namespace osprey::db
