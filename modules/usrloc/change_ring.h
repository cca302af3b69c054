// The queue between SIP workers and the usrloc process (db_mode 1 and 2): change records
// (upsert or delete of one binding, a write-through answer) on the database layer's shm ring
// (core/db/record_ring.h). Workers push under a short lock and never wait for the database;
// the usrloc process drains everything queued in one copy and writes it in one SQLite
// transaction. When the ring is full the change is dropped and counted (the in-memory table
// stays right; the database misses that change), never blocking SIP service. Changes are
// numbered in queue order; write-through waiters use the numbers with commits()
// (commit_wait.h) to learn when their change is in the database.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/db/record_ring.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/commit_wait.h"

namespace osprey::usrloc {

// Reply: not a change but a write-through answer the usrloc process sends once the changes up
// to `target` are resolved: `ok` when they were committed, else `failed` (reply_sender.h).
// Expired: a binding this node saved expired here; the redis store removes it from Redis only
// if Redis still holds exactly that binding (a refresh through another node is kept).
enum class ChangeOp : uint8_t { Upsert = 1, Delete = 2, Reply = 3, Expired = 4 };

struct PendingReply {
    uint64_t target = 0;       // sequence number that must be committed
    int32_t socket = -1;       // UDP listen socket index to send from
    std::string_view address;  // sockaddr bytes of the destination
    std::string_view ok;       // the datagram to send when committed
    std::string_view failed;   // ... and when not
};

struct Change {
    ChangeOp op = ChangeOp::Upsert;
    uint8_t table = 0;
    std::string_view aor;
    ContactData c;       // Delete: only c.uri
    PendingReply reply;  // Reply only
};

class ChangeRing {
public:
    // In shm; eventFd (may be -1) is written to wake the usrloc process. wakeEach: wake it for
    // every change (write-through), else only once the ring is half full (write-back).
    static ChangeRing* create(size_t capacity, int eventFd, bool wakeEach);
    static void destroy(ChangeRing* r);

    bool pushUpsert(uint8_t table, std::string_view aor, const ContactData& c,
                    ChangeOp op = ChangeOp::Upsert);
    bool pushDelete(uint8_t table, std::string_view aor, std::string_view uri);
    bool pushReply(std::string_view aor, const PendingReply& r);

    // Moves every queued record to `out` (appended, each as u32 length + payload); returns the
    // number of records. *through (optional) gets the sequence number of the last one.
    size_t drain(std::vector<char>& out, uint64_t* through = nullptr);
    // Reads the next record from `in` (advancing it); false at the end or on a bad record.
    static bool next(std::string_view& in, Change& out);

    // The usrloc process says whether it is about to sleep (so pushers know to wake it).
    void setWriterSleeping(bool s) { ring_.setWriterSleeping(s); }
    bool empty() { return ring_.empty(); }
    size_t used() { return ring_.used(); }  // bytes queued now (the redis store's queue depth)
    uint64_t dropped() const { return ring_.dropped(); }
    // Sequence number of the last change queued (0: none yet). Read under the slot lock after
    // a change, it covers that change and every earlier one of the same AOR.
    uint64_t lastSeq() const { return ring_.lastSeq(); }
    // Sequence number of the last change a writer took out of the ring.
    uint64_t drainedThrough() const { return ring_.drainedThrough(); }
    CommitWait& commits() { return commits_; }
    size_t capacity() const { return ring_.capacity(); }
    // Asks the writer to write what is queued now rather than at its next interval (ul.flush);
    // the writer takes the request with takeFlushRequest().
    void requestFlush() { ring_.requestFlush(); }
    bool takeFlushRequest() { return ring_.takeFlushRequest(); }

private:
    db::RecordRing ring_;  // its buffer follows this object in shm
    CommitWait commits_;
};

}  // namespace osprey::usrloc
