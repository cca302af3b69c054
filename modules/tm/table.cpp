// The transaction table's buckets.
#include "modules/tm/table.h"

#include <new>

#include "core/hash/fnv1a.h"
#include "core/log/log.h"
#include "core/stats/read.h"
#include "mem/lock/test_die.h"
#include "mem/shm.h"
#include "modules/tm/cell_mem.h"
#include "modules/tm/stats.h"

namespace osprey::tm {

Table* Table::create(uint32_t size) {
    if (size == 0 || (size & (size - 1)) != 0) return nullptr;
    void* p = mem::shmAlloc(sizeof(Table) + sizeof(Bucket) * size);
    if (p == nullptr) return nullptr;
    auto* t = new (p) Table();
    t->mask_ = size - 1;
    t->buckets_ = reinterpret_cast<Bucket*>(t + 1);
    for (uint32_t i = 0; i < size; ++i) new (&t->buckets_[i]) Bucket();
    return t;
}

void Table::destroy(Table* t) {
    if (t != nullptr) mem::shmFree(t);
}

// FNV-1a over the Call-ID, mixed with the CSeq number.
uint32_t Table::bucketOf(std::string_view callId, uint32_t cseq) const {
    uint32_t h = hash::fnv1a32(callId);
    h ^= cseq * 0x9E3779B1u;
    h ^= h >> 15;
    return h & mask_;
}

void Table::link(Cell* cell) {
    Bucket& b = buckets_[cell->bucket];
    b.pending = cell;
    b.pendingOp = PendingOp::Link;
    cell->label = ++b.nextLabel;
    cell->prev = nullptr;
    cell->next = b.head;
    if (b.head != nullptr) b.head->prev = cell;
    mem::testDiePoint(mem::DieSite::TmBucket);  // half linked: the old head points back to cell
    b.head = cell;
    cell->linked = true;
    b.pending = nullptr;
    b.pendingOp = PendingOp::None;
}

void Table::unlink(Cell* cell) {
    if (!cell->linked) return;
    Bucket& b = buckets_[cell->bucket];
    b.pending = cell;
    b.pendingOp = PendingOp::Unlink;
    if (cell->prev != nullptr) {
        cell->prev->next = cell->next;
    } else {
        b.head = cell->next;
    }
    if (cell->next != nullptr) cell->next->prev = cell->prev;
    cell->next = cell->prev = nullptr;
    cell->linked = false;
    b.pending = nullptr;
    b.pendingOp = PendingOp::None;
}

namespace {

// A chain entry worth following: inside the shared heap, aligned, and of this bucket.
bool plausible(const Cell* c, uint32_t bucket) {
    return mem::shmOwns(c) && reinterpret_cast<uintptr_t>(c) % alignof(Cell) == 0 &&
           c->bucket == bucket;
}

}  // namespace

// What a holder killed inside the bucket lock can leave behind. Every pointer store of link and
// unlink writes a valid value, so the forward chain (head, next) is always a list of real
// cells, written last by link (the new head) and first by unlink; back links (prev) may be
// stale. So: walk forward, trusting only entries that look like cells of this bucket
// (truncating at the first that does not, or when the walk is longer than there are live
// transactions: a cycle), rewrite every prev from the walk, then deal with the cell recorded as
// pending:
//  - Link: the dead worker was creating that transaction and held exactly two references on
//    it, the table's and its own from newCell; nobody else can have started work on it but
//    under the bucket lock. It is taken out of the chain and both references dropped, so it is
//    freed unless a retransmission already holds it (that one frees it when done). The client
//    retransmits and gets a fresh transaction.
//  - Unlink: deleteCell was taking it off the table (the cell is already marked deleted, its
//    timers stopped): the unlink is finished and the table's reference dropped. The references
//    the dead process itself held are lost with it: that cell stays allocated (logged).
void Table::repair(uint32_t index, uint32_t deadPid) {
    Bucket& b = buckets_[index];
    const int64_t live = stats::value(counters().inuse);
    const uint64_t maxSteps = live > 0 ? static_cast<uint64_t>(live) + 1 : 1;
    unsigned relinked = 0;
    bool truncated = false;
    bool pendingInChain = false;
    Cell* prev = nullptr;
    Cell** link = &b.head;
    for (uint64_t steps = 0; *link != nullptr; ++steps) {
        Cell* c = *link;
        if (steps >= maxSteps || !plausible(c, index)) {
            *link = nullptr;  // everything from here is unreachable, so lost (logged)
            truncated = true;
            break;
        }
        if (c->prev != prev) {
            c->prev = prev;
            ++relinked;
        }
        if (c == b.pending) pendingInChain = true;
        prev = c;
        link = &c->next;
    }
    Cell* p = b.pending;
    const PendingOp op = b.pendingOp;
    b.pending = nullptr;
    b.pendingOp = PendingOp::None;
    if (p != nullptr && op != PendingOp::None && plausible(p, index)) {
        if (pendingInChain) {
            p->linked = true;  // so unlink takes it out
            unlink(p);
        }
        p->next = p->prev = nullptr;
        p->linked = false;
        unref(p);                             // the table's reference
        if (op == PendingOp::Link) unref(p);  // the dead creator's, from newCell
    }
    LM_WARN("tm: recovered bucket %u from dead process %u: %u back link(s) repaired%s%s%s", index,
            deadPid, relinked, truncated ? ", chain cut at a damaged entry" : "",
            p == nullptr            ? ""
            : op == PendingOp::Link ? ", the transaction being created was dropped"
                                    : ", the transaction being deleted was taken off",
            p != nullptr && op == PendingOp::Unlink ? " (its memory stays allocated)" : "");
}

}  // namespace osprey::tm
