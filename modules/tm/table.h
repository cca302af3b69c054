// The transaction table (docs/design.md §6): a power-of-two array of buckets in shm, each with its
// own lock and an intrusive chain of cells. Transactions hash on Call-ID and CSeq number
// (as Kamailio's tm does), so a request, its retransmissions, its CANCEL and both kinds of
// ACK (the one for a negative reply and the end-to-end one for a 2xx, which carries another
// branch) all land in the same bucket; matching within the bucket is match.h's job.
#pragma once
#include <cstdint>
#include <string_view>

#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "modules/tm/cell.h"

namespace osprey::tm {

using BucketGuard = mem::UniqueGuard<mem::FutexMutex>;

struct Bucket {
    mem::FutexMutex lock;
    uint32_t nextLabel = 0;  // labels tell apart cells of one bucket in our branch ids
    Cell* head = nullptr;
};

class Table {
public:
    // In shm; nullptr when out of memory. size must be a power of two.
    static Table* create(uint32_t size);
    static void destroy(Table* t);

    uint32_t size() const { return mask_ + 1; }
    uint32_t bucketOf(std::string_view callId, uint32_t cseq) const;
    BucketGuard lock(uint32_t bucket) { return BucketGuard(buckets_[bucket].lock); }
    Bucket& bucket(uint32_t b) { return buckets_[b]; }

    // Bucket lock held: puts cell at the head of its bucket, with a fresh label.
    void link(Cell* cell);
    // Bucket lock held.
    void unlink(Cell* cell);

private:
    Table() = default;
    uint32_t mask_ = 0;
    Bucket* buckets_ = nullptr;
};

}  // namespace osprey::tm
