// The transaction table's buckets.
#include "modules/tm/table.h"

#include <new>

#include "mem/shm.h"

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
    uint32_t h = 2166136261u;
    for (unsigned char c : callId) h = (h ^ c) * 16777619u;
    h ^= cseq * 0x9E3779B1u;
    h ^= h >> 15;
    return h & mask_;
}

void Table::link(Cell* cell) {
    Bucket& b = buckets_[cell->bucket];
    cell->label = ++b.nextLabel;
    cell->prev = nullptr;
    cell->next = b.head;
    if (b.head != nullptr) b.head->prev = cell;
    b.head = cell;
    cell->linked = true;
}

void Table::unlink(Cell* cell) {
    if (!cell->linked) return;
    Bucket& b = buckets_[cell->bucket];
    if (cell->prev != nullptr) {
        cell->prev->next = cell->next;
    } else {
        b.head = cell->next;
    }
    if (cell->next != nullptr) cell->next->prev = cell->prev;
    cell->next = cell->prev = nullptr;
    cell->linked = false;
}

}  // namespace osprey::tm
