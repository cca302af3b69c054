// The AOR table in shm (see table.h).
#include "modules/usrloc/table.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>

#include "core/hash/fnv1a.h"
#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/stats/counter.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/lock/test_die.h"
#include "mem/shm.h"
#include "modules/usrloc/change_ring.h"

namespace osprey::usrloc {

namespace {

enum Field : uint8_t {
    kUri,
    kCallId,
    kPath,
    kReceived,
    kUserAgent,
    kInstance,
    kSocket,
    kFieldCount
};

struct Contact {
    Contact* next;
    int64_t expires;       // wall-clock seconds
    int64_t lastModified;  // wall-clock ms
    uint32_t cseq;
    uint32_t regId;
    int16_t q;
    uint16_t len[kFieldCount];
    uint16_t flags;          // the low 16 bits of ContactData::flags
    uint32_t lastKeepalive;  // wall-clock seconds (ContactData::lastKeepalive)
    char text[];             // the fields back to back, in Field order

    std::string_view field(Field f) const {
        size_t off = 0;
        for (int i = 0; i < f; ++i) off += len[i];
        return {text + off, len[f]};
    }
};
static_assert(sizeof(Contact) == 56, "keep the per-binding header compact");

struct Record {
    Record* next;
    Contact* contacts;
    uint32_t hash;
    uint16_t aorLen;
    char aor[];
    std::string_view key() const { return {aor, aorLen}; }
};

// A slot is a lock plus its own small hash of records: up to kInlineRecords in one list,
// then 2^n bucket lists that double (under the slot's lock, so no global resize) whenever the
// slot holds more than two records per bucket. hash_size thus sets lock striping, not chain
// length: a lookup walks about two records whether the table holds a thousand AORs or
// millions.
struct Slot {
    mem::FutexMutex lock;
    uint32_t count;     // records in this slot
    uint32_t nBuckets;  // 0: records hang off `one`; else `heads` has nBuckets lists
    union {
        Record* one;
        Record** heads;
    };
};

constexpr uint32_t kInlineRecords = 4;
constexpr uint32_t kFirstBuckets = 8;

Record** bucketOf(Slot& s, uint32_t hi) {
    return s.nBuckets == 0 ? &s.one : &s.heads[hi & (s.nBuckets - 1)];
}

template <class F>
void forEachBucket(Slot& s, F&& f) {
    if (s.nBuckets == 0) {
        f(&s.one);
        return;
    }
    for (uint32_t i = 0; i < s.nBuckets; ++i) f(&s.heads[i]);
}

// Doubles the bucket lists (or leaves the single list) when the slot got crowded; on a failed
// allocation the slot simply stays as it is, which is slower but still right.
void maybeGrow(Slot& s) {
    const uint32_t want = s.nBuckets == 0 ? (s.count > kInlineRecords ? kFirstBuckets : 0)
                                          : (s.count > 2 * s.nBuckets ? 2 * s.nBuckets : 0);
    if (want == 0) return;
    auto** heads = static_cast<Record**>(mem::shmAllocZero(want * sizeof(Record*)));
    if (heads == nullptr) return;
    forEachBucket(s, [&](Record** b) {
        for (Record* r = *b; r != nullptr;) {
            Record* next = r->next;
            Record** nb = &heads[r->hash & (want - 1)];
            r->next = *nb;
            *nb = r;
            r = next;
        }
    });
    if (s.nBuckets != 0) mem::shmFree(s.heads);
    s.heads = heads;
    s.nBuckets = want;
}

void insertRecord(Slot& s, Record* r) {
    Record** b = bucketOf(s, r->hash);
    r->next = *b;
    *b = r;
    ++s.count;
    maybeGrow(s);
}

ContactData view(const Contact* c) {
    ContactData d;
    d.uri = c->field(kUri);
    d.callId = c->field(kCallId);
    d.path = c->field(kPath);
    d.received = c->field(kReceived);
    d.userAgent = c->field(kUserAgent);
    d.instance = c->field(kInstance);
    d.socket = c->field(kSocket);
    d.lastKeepalive = c->lastKeepalive;
    d.cseq = c->cseq;
    d.regId = c->regId;
    d.q = c->q;
    d.flags = c->flags;
    d.expires = c->expires;
    d.lastModified = c->lastModified;
    return d;
}

Contact* newContact(const ContactData& d) {
    const std::string_view f[kFieldCount] = {d.uri,       d.callId,   d.path,  d.received,
                                             d.userAgent, d.instance, d.socket};
    size_t total = 0;
    for (std::string_view s : f) {
        if (s.size() > UINT16_MAX) return nullptr;
        total += s.size();
    }
    auto* c = static_cast<Contact*>(mem::shmAlloc(sizeof(Contact) + total));
    if (c == nullptr) return nullptr;
    c->next = nullptr;
    c->expires = d.expires;
    c->lastModified = d.lastModified;
    c->cseq = d.cseq;
    c->regId = d.regId;
    c->q = static_cast<int16_t>(d.q < -1 ? -1 : (d.q > 1000 ? 1000 : d.q));
    c->flags = static_cast<uint16_t>(d.flags);
    c->lastKeepalive =
        static_cast<uint32_t>(d.lastKeepalive > 0 ? d.lastKeepalive : d.lastModified / 1000);
    char* p = c->text;
    for (int i = 0; i < kFieldCount; ++i) {
        c->len[i] = static_cast<uint16_t>(f[i].size());
        if (!f[i].empty()) std::memcpy(p, f[i].data(), f[i].size());
        p += f[i].size();
    }
    return c;
}

Record* newRecord(std::string_view aor, uint32_t hash) {
    if (aor.size() > UINT16_MAX) return nullptr;
    auto* r = static_cast<Record*>(mem::shmAlloc(sizeof(Record) + aor.size()));
    if (r == nullptr) return nullptr;
    r->next = nullptr;
    r->contacts = nullptr;
    r->hash = hash;
    r->aorLen = static_cast<uint16_t>(aor.size());
    std::memcpy(r->aor, aor.data(), aor.size());
    return r;
}

// RFC 5626 §6: with +sip.instance on both sides (and the same reg-id) the instance identifies
// the binding, whatever the URI; otherwise the URI does (compared as written, like Kamailio).
bool matches(const Contact* c, const ContactData& u) {
    const std::string_view inst = c->field(kInstance);
    if (!u.instance.empty() && !inst.empty()) return inst == u.instance && c->regId == u.regId;
    return c->field(kUri) == u.uri;
}

Contact** findContact(Record* r, const ContactData& u) {
    for (Contact** pp = &r->contacts; *pp != nullptr; pp = &(*pp)->next)
        if (matches(*pp, u)) return pp;
    return nullptr;
}

}  // namespace

struct Table {
    char name[32];
    uint8_t index;
    uint32_t mask;
    ChangeRing* ring;
    TableStats stats;  // ids only: valid in every process
    Slot slots[];

    Slot& slotFor(uint64_t hash) { return slots[hash & mask]; }
};

namespace {

// --- a slot whose holder died (docs/locks.md) ---
//
// Writes inside a slot are single pointer stores of valid values (a list head, a `next`), so a
// holder killed half way leaves lists that still lead to real blocks, perhaps missing the
// entries it was moving (maybeGrow), or a record it had just inserted with no contact yet
// (tableSave inserts the record before its first contact). The next taker checks every list:
// entries that are not plausible blocks of this slot end the list there, contact lists
// likewise; records left without contacts are dropped (they would never match a lookup nor
// expire), and the record count is recounted. What was cut off stays allocated (logged).

constexpr uint64_t kMaxWalk = uint64_t{1} << 24;  // longer than any real list: a cycle

template <class T>
bool plausible(const T* p) {
    return mem::shmOwns(p) && reinterpret_cast<uintptr_t>(p) % alignof(T) == 0;
}

struct SlotRepair {
    unsigned records = 0, droppedEmpty = 0, cutLists = 0, cutContacts = 0;
};

// Checks one record's contact list; returns false when it ends up empty.
bool repairContacts(Record* r, SlotRepair& out) {
    uint64_t steps = 0;
    for (Contact** pp = &r->contacts; *pp != nullptr; pp = &(*pp)->next) {
        if (++steps > kMaxWalk || !plausible(*pp)) {
            *pp = nullptr;
            ++out.cutContacts;
            break;
        }
    }
    return r->contacts != nullptr;
}

void repairBucket(Slot& s, Record** head, uint32_t bucket, SlotRepair& out) {
    uint64_t steps = 0;
    for (Record** pp = head; *pp != nullptr;) {
        Record* r = *pp;
        const bool inPlace = s.nBuckets == 0 || (r->hash & (s.nBuckets - 1)) == bucket;
        if (++steps > kMaxWalk || !plausible(r) || !inPlace) {
            *pp = nullptr;
            ++out.cutLists;
            break;
        }
        if (!repairContacts(r, out)) {
            *pp = r->next;
            mem::shmFree(r);
            ++out.droppedEmpty;
            continue;
        }
        ++out.records;
        pp = &r->next;
    }
}

SlotRepair repairSlot(Slot& s) {
    SlotRepair out;
    const bool heads = s.nBuckets != 0;
    if (heads && ((s.nBuckets & (s.nBuckets - 1)) != 0 || !plausible(s.heads))) {
        s.nBuckets = 0;  // the bucket array itself is not believable: every record is lost
        s.one = nullptr;
        ++out.cutLists;
    }
    if (s.nBuckets == 0) {
        repairBucket(s, &s.one, 0, out);
    } else {
        for (uint32_t i = 0; i < s.nBuckets; ++i) repairBucket(s, &s.heads[i], i, out);
    }
    s.count = out.records;
    return out;
}

}  // namespace

// The slot lock; repairs the slot when its previous holder died with it.
class SlotGuard {
public:
    SlotGuard(const Table* t, Slot& s) : g_(s.lock) {
        if (g_.ownerDied()) [[unlikely]]
            recover(t, s);
    }

private:
    void recover(const Table* t, Slot& s) {
        const SlotRepair r = repairSlot(s);
        LM_WARN(
            "usrloc: recovered slot %zu of table %s from dead process %u: %u record(s) kept, %u "
            "empty dropped, %u list(s) and %u contact list(s) cut at a damaged entry",
            static_cast<size_t>(&s - t->slots), t->name, g_.deadOwner(), r.records, r.droppedEmpty,
            r.cutLists, r.cutContacts);
    }

    mem::LockGuard<mem::FutexMutex> g_;
};

namespace {

// The slot's record for aor (nullptr when absent). `hi` is the upper half of the AOR's hash
// (the lower half chose the slot).
Record* findRecord(Slot& s, std::string_view aor, uint32_t hi) {
    for (Record* r = *bucketOf(s, hi); r != nullptr; r = r->next)
        if (r->hash == hi && r->key() == aor) return r;
    return nullptr;
}

void unlinkRecord(Slot& s, Record* r) {
    for (Record** pp = bucketOf(s, r->hash); *pp != nullptr; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            --s.count;
            mem::shmFree(r);
            return;
        }
    }
}

// Drops the expired contacts of r (no change record: the usrloc process purges expired rows
// from the database itself). Returns how many went.
size_t dropExpired(Record* r, int64_t nowSec, SlotBindingFn fn = nullptr, void* user = nullptr) {
    size_t n = 0;
    for (Contact** pp = &r->contacts; *pp != nullptr;) {
        Contact* c = *pp;
        if (c->expires <= nowSec) {
            if (fn != nullptr) fn(user, r->key(), view(c));
            *pp = c->next;
            mem::shmFree(c);
            ++n;
        } else {
            pp = &c->next;
        }
    }
    return n;
}

// A burst the database writer cannot follow: logged at most once a second per process.
void queueFull(std::string_view aor) {
    static net::LogLimit limit;
    if (uint64_t skipped = 0; limit.allow(&skipped)) {
        LM_WARN(
            "usrloc: database queue full (db_queue_size), change for %.*s not persisted "
            "(%llu more not logged)",
            static_cast<int>(aor.size()), aor.data(), static_cast<unsigned long long>(skipped));
    }
}

// Both return false when the change could not be queued (it will not reach the database).
// What a change did to the table's statistics (under the slot lock, in the changing process).
void counted(Table* t, int records, int contacts) {
    if (records != 0) stats::add(t->stats.users, records);
    if (contacts != 0) stats::add(t->stats.contacts, contacts);
}

void expired(Table* t, size_t contacts) {
    if (contacts == 0) return;
    stats::add(t->stats.contacts, -static_cast<int64_t>(contacts));
    stats::add(t->stats.expires, contacts);
}

bool recordDelete(Table* t, bool persist, std::string_view aor, std::string_view uri) {
    if (!persist || t->ring == nullptr) return true;
    if (t->ring->pushDelete(t->index, aor, uri)) return true;
    queueFull(aor);
    return false;
}

bool recordUpsert(Table* t, bool persist, std::string_view aor, const Contact* c) {
    if (!persist || t->ring == nullptr) return true;
    if (t->ring->pushUpsert(t->index, aor, view(c))) return true;
    queueFull(aor);
    return false;
}

// Called with the slot still locked, after the last change of the operation.
void noteDurability(Table* t, bool persist, bool lost, Durability* dur) {
    if (dur == nullptr || !persist || t->ring == nullptr) return;
    dur->seq = t->ring->lastSeq();
    dur->lost = lost;
}

}  // namespace

uint64_t aorHash(std::string_view aor) {
    // FNV-1a: cheap, and AORs are short. The seed is one digit short of FNV's offset basis;
    // any odd-looking seed works, and keeping it keeps every AOR in its slot.
    uint64_t h = hash::fnv1a64(aor, 1469598103934665603ull);
    // fmix64 (MurmurHash3's finaliser): every output bit depends on every input bit, so the
    // low half (slot) and the high half (bucket inside the slot) are independent.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

Table* createTable(std::string_view name, unsigned log2Slots, uint8_t index) {
    if (name.empty() || name.size() >= sizeof(Table::name) || log2Slots > 24) return nullptr;
    const size_t n = size_t{1} << log2Slots;
    void* mem = mem::shmAllocZero(sizeof(Table) + n * sizeof(Slot));
    if (mem == nullptr) return nullptr;
    auto* t = static_cast<Table*>(mem);  // zero bytes are free locks and empty slots
    std::memcpy(t->name, name.data(), name.size());
    t->index = index;
    t->mask = static_cast<uint32_t>(n - 1);
    t->ring = nullptr;
    return t;
}

void destroyTable(Table* t) {
    if (t == nullptr) return;
    for (size_t i = 0; i <= t->mask; ++i) {
        Slot& s = t->slots[i];
        forEachBucket(s, [](Record** b) {
            for (Record* r = *b; r != nullptr;) {
                for (Contact* c = r->contacts; c != nullptr;) {
                    Contact* nc = c->next;
                    mem::shmFree(c);
                    c = nc;
                }
                Record* nr = r->next;
                mem::shmFree(r);
                r = nr;
            }
        });
        if (s.nBuckets != 0) mem::shmFree(s.heads);
    }
    mem::shmFree(t);
}

std::string_view tableName(const Table* t) {
    return t->name;
}
uint8_t tableIndex(const Table* t) {
    return t->index;
}
size_t slotCount(const Table* t) {
    return size_t{t->mask} + 1;
}
void setTableStats(Table* t, const TableStats& st) {
    t->stats = st;
}

void setChangeRing(Table* t, ChangeRing* ring) {
    t->ring = ring;
}

SaveStatus tableSave(Table* t, std::string_view aor, std::span<const ContactData> updates,
                     bool removeAll, uint32_t maxContacts, bool persist, int64_t nowSec,
                     BindingFn fn, void* user, Durability* dur) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    Record* r = findRecord(s, aor, hash);
    if (r != nullptr) expired(t, dropExpired(r, nowSec));
    bool lost = false;

    if (removeAll) {
        if (r != nullptr) {
            for (Contact* c = r->contacts; c != nullptr;) {
                Contact* nc = c->next;
                lost |= !recordDelete(t, persist, aor, c->field(kUri));
                mem::shmFree(c);
                counted(t, 0, -1);
                c = nc;
            }
            unlinkRecord(s, r);
            counted(t, -1, 0);
        }
        noteDurability(t, persist, lost, dur);
        return SaveStatus::Ok;
    }

    // Pass 1 (RFC 3261 §10.3 step 7): decide every contact before changing any, so a request
    // that fails changes nothing. The same CSeq again is a retransmission: left as it is.
    bool skip[64] = {};
    if (updates.size() > std::size(skip)) updates = updates.first(std::size(skip));
    size_t count = 0;
    if (r != nullptr)
        for (Contact* c = r->contacts; c != nullptr; c = c->next) ++count;
    size_t added = 0;
    for (size_t i = 0; i < updates.size(); ++i) {
        const ContactData& u = updates[i];
        Contact** m = r != nullptr ? findContact(r, u) : nullptr;
        if (m != nullptr && (*m)->field(kCallId) == u.callId) {
            if (u.cseq < (*m)->cseq) return SaveStatus::InvalidCSeq;
            if (u.cseq == (*m)->cseq) {
                skip[i] = true;
                continue;
            }
        }
        if (m == nullptr && u.expires != 0) {
            ++count;
            ++added;
        } else if (m != nullptr && u.expires == 0) {
            --count;
        }
    }
    if (maxContacts != 0 && added != 0 && count > maxContacts) return SaveStatus::TooManyContacts;

    // Pass 2: apply.
    SaveStatus status = SaveStatus::Ok;
    for (size_t i = 0; i < updates.size(); ++i) {
        if (skip[i]) continue;
        const ContactData& u = updates[i];
        Contact** m = r != nullptr ? findContact(r, u) : nullptr;
        if (u.expires == 0) {
            if (m == nullptr) continue;
            Contact* old = *m;
            *m = old->next;
            lost |= !recordDelete(t, persist, aor, old->field(kUri));
            mem::shmFree(old);
            counted(t, 0, -1);
            continue;
        }
        if (r == nullptr) {
            r = newRecord(aor, hash);
            if (r == nullptr) {
                status = SaveStatus::NoMemory;
                break;
            }
            insertRecord(s, r);
            counted(t, 1, 0);
            mem::testDiePoint(mem::DieSite::UsrlocSlot);  // a record with no contact yet
        }
        Contact* c = newContact(u);
        if (c == nullptr) {
            status = SaveStatus::NoMemory;
            break;
        }
        if (m != nullptr) {  // refresh: the new block replaces the old one
            Contact* old = *m;
            *m = old->next;
            if (old->field(kUri) != u.uri) lost |= !recordDelete(t, persist, aor, old->field(kUri));
            mem::shmFree(old);
        } else {
            counted(t, 0, 1);
        }
        // The list stays ordered most recent first, which breaks ties of equal q on lookup
        // even within one clock tick.
        c->next = r->contacts;
        r->contacts = c;
        lost |= !recordUpsert(t, persist, aor, c);
    }
    noteDurability(t, persist, lost, dur);
    if (r != nullptr && r->contacts == nullptr) {
        unlinkRecord(s, r);
        counted(t, -1, 0);
        r = nullptr;
    }
    if (r != nullptr && fn != nullptr)
        for (const Contact* c = r->contacts; c != nullptr; c = c->next) fn(user, view(c));
    return status;
}

int tableGet(Table* t, std::string_view aor, int64_t nowSec, BindingFn fn, void* user,
             bool* present) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    Record* r = findRecord(s, aor, hash);
    if (present != nullptr) *present = r != nullptr;
    if (r == nullptr) return 0;
    int n = 0;
    for (const Contact* c = r->contacts; c != nullptr; c = c->next) {
        if (c->expires <= nowSec) continue;  // the timer may not have reached it yet
        ++n;
        if (fn != nullptr) fn(user, view(c));
    }
    return n;
}

int tableRemove(Table* t, std::string_view aor, std::string_view uri, int64_t nowSec,
                Durability* dur) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) {
        noteDurability(t, true, false, dur);
        return 0;
    }
    bool lost = false;
    int n = 0;
    for (Contact** pp = &r->contacts; *pp != nullptr;) {
        Contact* c = *pp;
        if (!uri.empty() && c->field(kUri) != uri) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        if (c->expires > nowSec) ++n;
        lost |= !recordDelete(t, true, aor, c->field(kUri));
        mem::shmFree(c);
        counted(t, 0, -1);
    }
    if (r->contacts == nullptr) {
        unlinkRecord(s, r);
        counted(t, -1, 0);
    }
    noteDurability(t, true, lost, dur);
    return n;
}

bool tableLoad(Table* t, std::string_view aor, const ContactData& d) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) {
        r = newRecord(aor, hash);
        if (r == nullptr) return false;
        insertRecord(s, r);
        counted(t, 1, 0);
    }
    Contact* c = newContact(d);
    if (c == nullptr) return false;
    c->next = r->contacts;
    r->contacts = c;
    counted(t, 0, 1);
    return true;
}

bool tableFill(Table* t, std::string_view aor, std::span<const ContactData> cs, int64_t nowSec,
               const std::atomic<uint64_t>& generation, uint64_t seen) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    if (generation.load(std::memory_order_acquire) != seen) return false;
    if (findRecord(s, aor, hash) != nullptr) return false;
    Record* r = nullptr;
    for (const ContactData& d : cs) {
        if (d.expires <= nowSec) continue;
        if (r == nullptr) {
            r = newRecord(aor, hash);
            if (r == nullptr) return false;
            insertRecord(s, r);
            counted(t, 1, 0);
        }
        Contact* c = newContact(d);
        if (c == nullptr) break;
        c->next = r->contacts;
        r->contacts = c;
        counted(t, 0, 1);
    }
    if (r != nullptr && r->contacts == nullptr) {
        unlinkRecord(s, r);
        counted(t, -1, 0);
        return false;
    }
    return r != nullptr;
}

namespace {
void freeRecord(Table* t, Record* r) {
    for (Contact* c = r->contacts; c != nullptr;) {
        Contact* nc = c->next;
        mem::shmFree(c);
        counted(t, 0, -1);
        c = nc;
    }
    r->contacts = nullptr;
}
}  // namespace

bool tableDrop(Table* t, std::string_view aor) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) return false;
    freeRecord(t, r);
    unlinkRecord(s, r);
    counted(t, -1, 0);
    return true;
}

size_t tableClear(Table* t) {
    size_t n = 0;
    for (size_t i = 0; i <= t->mask; ++i) {
        Slot& s = t->slots[i];
        SlotGuard g(t, s);
        forEachBucket(s, [&](Record** b) {
            while (*b != nullptr) {
                Record* r = *b;
                *b = r->next;
                freeRecord(t, r);
                --s.count;
                counted(t, -1, 0);
                mem::shmFree(r);
                ++n;
            }
        });
    }
    return n;
}

size_t tableExpire(Table* t, size_t first, size_t n, int64_t nowSec, SlotBindingFn fn, void* user) {
    size_t removed = 0;
    for (size_t i = first; i < first + n && i <= t->mask; ++i) {
        Slot& s = t->slots[i];
        SlotGuard g(t, s);
        forEachBucket(s, [&](Record** b) {
            for (Record** pp = b; *pp != nullptr;) {
                Record* r = *pp;
                const size_t gone = dropExpired(r, nowSec, fn, user);
                expired(t, gone);
                removed += gone;
                if (r->contacts == nullptr) {
                    *pp = r->next;
                    --s.count;
                    counted(t, -1, 0);
                    mem::shmFree(r);
                } else {
                    pp = &r->next;
                }
            }
        });
    }
    return removed;
}

bool tableKeepalive(Table* t, std::string_view aor, std::string_view uri, int64_t nowSec) {
    const uint64_t h = aorHash(aor);
    const auto hash = static_cast<uint32_t>(h >> 32);
    Slot& s = t->slotFor(h);
    SlotGuard g(t, s);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) return false;
    for (Contact* c = r->contacts; c != nullptr; c = c->next) {
        if (c->field(kUri) != uri) continue;
        c->lastKeepalive = static_cast<uint32_t>(nowSec);
        return true;
    }
    return false;
}

size_t tableVisitSlot(Table* t, size_t slot, int64_t nowSec, SlotBindingFn fn, void* user,
                      int64_t* heldNs) {
    if (slot > t->mask) return 0;
    size_t n = 0;
    Slot& s = t->slots[slot];
    SlotGuard g(t, s);
    const auto acquired = heldNs != nullptr ? std::chrono::steady_clock::now()
                                            : std::chrono::steady_clock::time_point();
    forEachBucket(s, [&](Record** b) {
        for (const Record* r = *b; r != nullptr; r = r->next) {
            for (const Contact* c = r->contacts; c != nullptr; c = c->next) {
                if (c->expires <= nowSec) continue;
                ++n;
                fn(user, r->key(), view(c));
            }
        }
    });
    if (heldNs != nullptr)
        *heldNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - acquired)
                      .count();
    return n;
}

TableCounts tableCounts(Table* t) {
    TableCounts tc;
    for (size_t i = 0; i <= t->mask; ++i) {
        Slot& s = t->slots[i];
        SlotGuard g(t, s);
        forEachBucket(s, [&](Record** b) {
            size_t len = 0;
            for (Record* r = *b; r != nullptr; r = r->next) {
                ++tc.records;
                ++len;
                for (Contact* c = r->contacts; c != nullptr; c = c->next) ++tc.contacts;
            }
            tc.longestList = std::max(tc.longestList, len);
        });
    }
    return tc;
}

}  // namespace osprey::usrloc
