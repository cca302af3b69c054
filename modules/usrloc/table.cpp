// The AOR table in shm (see table.h).
#include "modules/usrloc/table.h"

#include <cstring>
#include <new>

#include "core/log/log.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"
#include "modules/usrloc/change_ring.h"

namespace osprey::usrloc {

namespace {

enum Field : uint8_t { kUri, kCallId, kPath, kReceived, kUserAgent, kInstance, kFieldCount };

struct Contact {
    Contact* next;
    int64_t expires;       // wall-clock seconds
    int64_t lastModified;  // wall-clock ms
    uint32_t cseq;
    uint32_t regId;
    int16_t q;
    uint16_t len[kFieldCount];
    uint16_t flags;  // the low 16 bits of ContactData::flags
    char text[];     // the fields back to back, in Field order

    std::string_view field(Field f) const {
        size_t off = 0;
        for (int i = 0; i < f; ++i) off += len[i];
        return {text + off, len[f]};
    }
};
static_assert(sizeof(Contact) == 48, "keep the per-binding header compact");

struct Record {
    Record* next;
    Contact* contacts;
    uint32_t hash;
    uint16_t aorLen;
    char aor[];
    std::string_view key() const { return {aor, aorLen}; }
};

struct Slot {
    mem::FutexMutex lock;
    Record* head = nullptr;
};

ContactData view(const Contact* c) {
    ContactData d;
    d.uri = c->field(kUri);
    d.callId = c->field(kCallId);
    d.path = c->field(kPath);
    d.received = c->field(kReceived);
    d.userAgent = c->field(kUserAgent);
    d.instance = c->field(kInstance);
    d.cseq = c->cseq;
    d.regId = c->regId;
    d.q = c->q;
    d.flags = c->flags;
    d.expires = c->expires;
    d.lastModified = c->lastModified;
    return d;
}

Contact* newContact(const ContactData& d) {
    const std::string_view f[kFieldCount] = {d.uri,      d.callId,    d.path,
                                             d.received, d.userAgent, d.instance};
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
    Slot slots[];

    Slot& slotFor(uint32_t hash) { return slots[hash & mask]; }
};

namespace {

// The slot's record for aor (nullptr when absent); *link gets the pointer that points to it.
Record* findRecord(Slot& s, std::string_view aor, uint32_t hash, Record*** link = nullptr) {
    for (Record** pp = &s.head; *pp != nullptr; pp = &(*pp)->next) {
        if ((*pp)->hash == hash && (*pp)->key() == aor) {
            if (link) *link = pp;
            return *pp;
        }
    }
    return nullptr;
}

void unlinkRecord(Slot& s, Record* r) {
    for (Record** pp = &s.head; *pp != nullptr; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            mem::shmFree(r);
            return;
        }
    }
}

// Drops the expired contacts of r (no change record: the usrloc process purges expired rows
// from the database itself). Returns how many went.
size_t dropExpired(Record* r, int64_t nowSec) {
    size_t n = 0;
    for (Contact** pp = &r->contacts; *pp != nullptr;) {
        Contact* c = *pp;
        if (c->expires <= nowSec) {
            *pp = c->next;
            mem::shmFree(c);
            ++n;
        } else {
            pp = &c->next;
        }
    }
    return n;
}

void recordDelete(Table* t, bool persist, std::string_view aor, std::string_view uri) {
    if (!persist || t->ring == nullptr) return;
    if (!t->ring->pushDelete(t->index, aor, uri)) {
        LM_WARN("usrloc: database queue full, removal of %.*s for %.*s not persisted",
                static_cast<int>(uri.size()), uri.data(), static_cast<int>(aor.size()),
                aor.data());
    }
}

void recordUpsert(Table* t, bool persist, std::string_view aor, const Contact* c) {
    if (!persist || t->ring == nullptr) return;
    if (!t->ring->pushUpsert(t->index, aor, view(c))) {
        LM_WARN("usrloc: database queue full, binding for %.*s not persisted",
                static_cast<int>(aor.size()), aor.data());
    }
}

}  // namespace

uint64_t aorHash(std::string_view aor) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a: cheap, and AORs are short
    for (unsigned char ch : aor) {
        h ^= ch;
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
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
        for (Record* r = t->slots[i].head; r != nullptr;) {
            for (Contact* c = r->contacts; c != nullptr;) {
                Contact* nc = c->next;
                mem::shmFree(c);
                c = nc;
            }
            Record* nr = r->next;
            mem::shmFree(r);
            r = nr;
        }
    }
    mem::shmFree(t);
}

std::string_view tableName(const Table* t) { return t->name; }
uint8_t tableIndex(const Table* t) { return t->index; }
size_t slotCount(const Table* t) { return size_t{t->mask} + 1; }
void setChangeRing(Table* t, ChangeRing* ring) { t->ring = ring; }

SaveStatus tableSave(Table* t, std::string_view aor, std::span<const ContactData> updates,
                     bool removeAll, uint32_t maxContacts, bool persist, int64_t nowSec,
                     BindingFn fn, void* user) {
    const auto hash = static_cast<uint32_t>(aorHash(aor));
    Slot& s = t->slotFor(hash);
    mem::LockGuard g(s.lock);
    Record* r = findRecord(s, aor, hash);
    if (r != nullptr) dropExpired(r, nowSec);

    if (removeAll) {
        if (r != nullptr) {
            for (Contact* c = r->contacts; c != nullptr;) {
                Contact* nc = c->next;
                recordDelete(t, persist, aor, c->field(kUri));
                mem::shmFree(c);
                c = nc;
            }
            unlinkRecord(s, r);
        }
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
            recordDelete(t, persist, aor, old->field(kUri));
            mem::shmFree(old);
            continue;
        }
        if (r == nullptr) {
            r = newRecord(aor, hash);
            if (r == nullptr) {
                status = SaveStatus::NoMemory;
                break;
            }
            r->next = s.head;
            s.head = r;
        }
        Contact* c = newContact(u);
        if (c == nullptr) {
            status = SaveStatus::NoMemory;
            break;
        }
        if (m != nullptr) {  // refresh: the new block replaces the old one
            Contact* old = *m;
            *m = old->next;
            if (old->field(kUri) != u.uri) recordDelete(t, persist, aor, old->field(kUri));
            mem::shmFree(old);
        }
        // The list stays ordered most recent first, which breaks ties of equal q on lookup
        // even within one clock tick.
        c->next = r->contacts;
        r->contacts = c;
        recordUpsert(t, persist, aor, c);
    }
    if (r != nullptr && r->contacts == nullptr) {
        unlinkRecord(s, r);
        r = nullptr;
    }
    if (r != nullptr && fn != nullptr)
        for (const Contact* c = r->contacts; c != nullptr; c = c->next) fn(user, view(c));
    return status;
}

int tableGet(Table* t, std::string_view aor, int64_t nowSec, BindingFn fn, void* user) {
    const auto hash = static_cast<uint32_t>(aorHash(aor));
    Slot& s = t->slotFor(hash);
    mem::LockGuard g(s.lock);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) return 0;
    int n = 0;
    for (const Contact* c = r->contacts; c != nullptr; c = c->next) {
        if (c->expires <= nowSec) continue;  // the timer may not have reached it yet
        ++n;
        if (fn != nullptr) fn(user, view(c));
    }
    return n;
}

int tableRemove(Table* t, std::string_view aor, std::string_view uri, int64_t nowSec) {
    const auto hash = static_cast<uint32_t>(aorHash(aor));
    Slot& s = t->slotFor(hash);
    mem::LockGuard g(s.lock);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) return 0;
    int n = 0;
    for (Contact** pp = &r->contacts; *pp != nullptr;) {
        Contact* c = *pp;
        if (!uri.empty() && c->field(kUri) != uri) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        if (c->expires > nowSec) ++n;
        recordDelete(t, true, aor, c->field(kUri));
        mem::shmFree(c);
    }
    if (r->contacts == nullptr) unlinkRecord(s, r);
    return n;
}

bool tableLoad(Table* t, std::string_view aor, const ContactData& d) {
    const auto hash = static_cast<uint32_t>(aorHash(aor));
    Slot& s = t->slotFor(hash);
    mem::LockGuard g(s.lock);
    Record* r = findRecord(s, aor, hash);
    if (r == nullptr) {
        r = newRecord(aor, hash);
        if (r == nullptr) return false;
        r->next = s.head;
        s.head = r;
    }
    Contact* c = newContact(d);
    if (c == nullptr) return false;
    c->next = r->contacts;
    r->contacts = c;
    return true;
}

size_t tableExpire(Table* t, size_t first, size_t n, int64_t nowSec) {
    size_t removed = 0;
    for (size_t i = first; i < first + n && i <= t->mask; ++i) {
        Slot& s = t->slots[i];
        mem::LockGuard g(s.lock);
        for (Record** pp = &s.head; *pp != nullptr;) {
            Record* r = *pp;
            removed += dropExpired(r, nowSec);
            if (r->contacts == nullptr) {
                *pp = r->next;
                mem::shmFree(r);
            } else {
                pp = &r->next;
            }
        }
    }
    return removed;
}

TableCounts tableCounts(Table* t) {
    TableCounts tc;
    for (size_t i = 0; i <= t->mask; ++i) {
        Slot& s = t->slots[i];
        mem::LockGuard g(s.lock);
        for (Record* r = s.head; r != nullptr; r = r->next) {
            ++tc.records;
            for (Contact* c = r->contacts; c != nullptr; c = c->next) ++tc.contacts;
        }
    }
    return tc;
}

}  // namespace osprey::usrloc
