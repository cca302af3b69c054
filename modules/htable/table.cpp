// The htable hash table in shm (see table.h for the layout, the expiry wheel and the locking).
#include "modules/htable/table.h"

#include <regex.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include "core/hash/fnv1a.h"
#include "core/log/log.h"
#include "mem/lock/futex_mutex.h"
#include "mem/shm.h"

namespace osprey::htable {

namespace {

struct Cell {
    Cell* next;
    uint32_t hash;
    uint32_t keyLen;
    uint32_t valLen;  // string length (isStr)
    uint32_t valCap;  // bytes reserved for the string, without its NUL
    int64_t expire;   // wall seconds, 0 = never
    int64_t num;
    bool isStr;
    char data[];  // key '\0' value '\0'

    std::string_view key() const { return {data, keyLen}; }
    char* val() { return data + keyLen + 1; }
    std::string_view str() const { return {data + keyLen + 1, valLen}; }
};

struct Bucket {
    mem::FutexMutex lock;
    uint32_t count = 0;
    Cell* head = nullptr;
};

}  // namespace

struct Table {
    char name[kMaxTableName + 1];
    char dbtable[kMaxTableName + 1];
    uint32_t mask;
    uint32_t autoexpire;
    int64_t initval;
    bool hasInitval;
    bool updateexpire;
    int dbmode;
    Bucket* buckets;
    uint32_t wheelWords;            // 64-bit words per wheel slot (one bit per bucket)
    std::atomic<uint64_t>* wheel;   // kWheelSlots * wheelWords; nullptr without autoexpire
    int64_t lastSwept;              // the timer process's own: last wall second swept
    std::atomic<uint64_t> expired;  // cells freed by expiry
};

namespace {

uint32_t hashKey(std::string_view s) {
    return hash::fnv1a32(s);
}

// Chain order: hash, then length, then bytes (what tableNext resumes from).
int compare(uint32_t h, std::string_view k, const Cell* c) {
    if (h != c->hash) return h < c->hash ? -1 : 1;
    if (k.size() != c->keyLen) return k.size() < c->keyLen ? -1 : 1;
    return std::memcmp(k.data(), c->data, k.size());
}

// Locks a bucket unless this process already holds it (sht_lock). A holder that died is
// repaired here: every store into a chain writes a complete, linked cell, so the chain is
// sound and only the count can be off.
void lockBucket(Bucket& b) {
    if (b.lock.lock() == mem::LockStatus::OwnerDied) [[unlikely]] {
        uint32_t n = 0;
        for (Cell* c = b.head; c != nullptr; c = c->next) ++n;
        b.count = n;
        LM_WARN("htable: recovered a bucket from a dead process (%u cells)", n);
    }
}

class BucketGuard {
public:
    explicit BucketGuard(Bucket& b) : b_(b), own_(!b.lock.heldByCaller()) {
        if (own_) lockBucket(b);
    }
    ~BucketGuard() {
        if (own_) b_.lock.unlock();
    }
    BucketGuard(const BucketGuard&) = delete;
    BucketGuard& operator=(const BucketGuard&) = delete;

private:
    Bucket& b_;
    bool own_;
};

bool expiredAt(const Table* t, const Cell* c, int64_t now) {
    return t->autoexpire > 0 && c->expire != 0 && c->expire < now;
}

// The cell's bucket is swept in the wheel slot of the second after it expires.
void markWheel(Table* t, size_t bucket, int64_t expire) {
    if (t->wheel == nullptr || expire <= 0) return;
    const uint64_t slot = static_cast<uint64_t>(expire + 1) % kWheelSlots;
    t->wheel[slot * t->wheelWords + bucket / 64].fetch_or(uint64_t{1} << (bucket % 64),
                                                          std::memory_order_relaxed);
}

Cell* newCell(uint32_t hash, std::string_view key, size_t valCap) {
    const size_t bytes = sizeof(Cell) + key.size() + 1 + valCap + 1;
    void* p = mem::shmAlloc(bytes);
    if (p == nullptr) return nullptr;
    Cell* c = new (p) Cell{};
    c->hash = hash;
    c->keyLen = static_cast<uint32_t>(key.size());
    c->valCap = static_cast<uint32_t>(valCap);
    std::memcpy(c->data, key.data(), key.size());
    c->data[key.size()] = '\0';
    c->val()[0] = '\0';
    return c;
}

void freeCell(Cell* c) {
    c->~Cell();
    mem::shmFree(c);
}

// The link pointing at the first cell not ordered before (hash, key); *found when it is key.
Cell** findLink(Bucket& b, uint32_t h, std::string_view key, bool* found) {
    Cell** link = &b.head;
    while (*link != nullptr) {
        const int cmp = compare(h, key, *link);
        if (cmp <= 0) {
            *found = cmp == 0;
            return link;
        }
        link = &(*link)->next;
    }
    *found = false;
    return link;
}

struct Slot {
    Bucket* bucket;
    size_t index;
    uint32_t hash;
};

Slot slotOf(Table* t, std::string_view key) {
    const uint32_t h = hashKey(key);
    const size_t i = h & t->mask;
    return {&t->buckets[i], i, h};
}

void setStrValue(Cell* c, std::string_view v) {
    std::memcpy(c->val(), v.data(), v.size());
    c->val()[v.size()] = '\0';
    c->valLen = static_cast<uint32_t>(v.size());
    c->isStr = true;
}

// The expiry an update gives an existing cell (Kamailio's ht_set_cell_ex rules).
int64_t updatedExpire(const Table* t, int64_t old, int64_t now, int64_t exv) {
    if (t->autoexpire == 0) return 0;
    if (exv > 0) return now + exv;
    return t->updateexpire ? now + t->autoexpire : old;
}

int64_t newExpire(const Table* t, int64_t now, int64_t exv) {
    if (t->autoexpire == 0) return 0;
    return now + (exv > 0 ? exv : t->autoexpire);
}

bool setCell(Table* t, std::string_view key, bool isStr, std::string_view s, int64_t n, int64_t now,
             int64_t exv) {
    const Slot sl = slotOf(t, key);
    BucketGuard g(*sl.bucket);
    bool found = false;
    Cell** link = findLink(*sl.bucket, sl.hash, key, &found);
    int64_t expire;
    if (found) {
        Cell* c = *link;
        expire = updatedExpire(t, c->expire, now, exv);
        if (isStr && s.size() > c->valCap) {
            Cell* n2 = newCell(sl.hash, key, s.size());
            if (n2 == nullptr) return false;
            setStrValue(n2, s);
            n2->expire = expire;
            n2->next = c->next;
            *link = n2;
            freeCell(c);
        } else {
            if (isStr) {
                setStrValue(c, s);
            } else {
                c->isStr = false;
                c->num = n;
            }
            c->expire = expire;
        }
    } else {
        Cell* c = newCell(sl.hash, key, isStr ? s.size() : 0);
        if (c == nullptr) return false;
        if (isStr) {
            setStrValue(c, s);
        } else {
            c->num = n;
        }
        expire = newExpire(t, now, exv);
        c->expire = expire;
        c->next = *link;
        *link = c;
        ++sl.bucket->count;
    }
    markWheel(t, sl.index, expire);
    return true;
}

CellView viewOf(const Cell* c) {
    CellView v;
    v.key = c->key();
    v.isStr = c->isStr;
    v.num = c->num;
    if (c->isStr) v.str = c->str();
    v.expire = c->expire;
    return v;
}

}  // namespace

Table* tableCreate(const TableSpec& spec) {
    if (spec.name.empty() || spec.name.size() > kMaxTableName ||
        spec.dbtable.size() > kMaxTableName || spec.sizeBits > 31)
        return nullptr;
    void* p = mem::shmAllocZero(sizeof(Table));
    if (p == nullptr) return nullptr;
    Table* t = new (p) Table{};
    std::memcpy(t->name, spec.name.data(), spec.name.size());
    std::memcpy(t->dbtable, spec.dbtable.data(), spec.dbtable.size());
    const size_t n = size_t{1} << spec.sizeBits;
    t->mask = static_cast<uint32_t>(n - 1);
    t->autoexpire = spec.autoexpire;
    t->initval = spec.initval;
    t->hasInitval = spec.hasInitval;
    t->updateexpire = spec.updateexpire;
    t->dbmode = spec.dbmode;
    void* b = mem::shmAllocZero(sizeof(Bucket) * n);
    if (b == nullptr) {
        tableDestroy(t);
        return nullptr;
    }
    t->buckets = static_cast<Bucket*>(b);
    for (size_t i = 0; i < n; ++i) new (&t->buckets[i]) Bucket{};
    if (spec.autoexpire > 0) {
        t->wheelWords = static_cast<uint32_t>((n + 63) / 64);
        const size_t words = size_t{kWheelSlots} * t->wheelWords;
        void* w = mem::shmAllocZero(sizeof(std::atomic<uint64_t>) * words);
        if (w == nullptr) {
            tableDestroy(t);
            return nullptr;
        }
        t->wheel = static_cast<std::atomic<uint64_t>*>(w);
        for (size_t i = 0; i < words; ++i) new (&t->wheel[i]) std::atomic<uint64_t>(0);
    }
    return t;
}

void tableDestroy(Table* t) {
    if (t == nullptr) return;
    if (t->buckets != nullptr) {
        tableFlush(t);
        mem::shmFree(t->buckets);
    }
    if (t->wheel != nullptr) mem::shmFree(t->wheel);
    t->~Table();
    mem::shmFree(t);
}

std::string_view tableName(const Table* t) {
    return t->name;
}
size_t tableBuckets(const Table* t) {
    return size_t{t->mask} + 1;
}
uint32_t tableAutoexpire(const Table* t) {
    return t->autoexpire;
}
bool tableHasInitval(const Table* t) {
    return t->hasInitval;
}
int64_t tableInitval(const Table* t) {
    return t->initval;
}
bool tableUpdateexpire(const Table* t) {
    return t->updateexpire;
}
std::string_view tableDbtable(const Table* t) {
    return t->dbtable;
}
int tableDbmode(const Table* t) {
    return t->dbmode;
}

bool tableSetStr(Table* t, std::string_view key, std::string_view value, int64_t now, int64_t exv) {
    return setCell(t, key, true, value, 0, now, exv);
}

bool tableSetInt(Table* t, std::string_view key, int64_t value, int64_t now, int64_t exv) {
    return setCell(t, key, false, {}, value, now, exv);
}

bool tableGet(Table* t, std::string_view key, int64_t now, CellFn fn, void* user) {
    const Slot sl = slotOf(t, key);
    BucketGuard g(*sl.bucket);
    bool found = false;
    Cell** link = findLink(*sl.bucket, sl.hash, key, &found);
    if (!found || expiredAt(t, *link, now)) return false;
    if (fn != nullptr) fn(user, viewOf(*link));
    return true;
}

bool tableExists(Table* t, std::string_view key, int64_t now) {
    return tableGet(t, key, now, nullptr, nullptr);
}

int tableDel(Table* t, std::string_view key) {
    const Slot sl = slotOf(t, key);
    Cell* gone = nullptr;
    {
        BucketGuard g(*sl.bucket);
        bool found = false;
        Cell** link = findLink(*sl.bucket, sl.hash, key, &found);
        if (!found) return 0;
        gone = *link;
        *link = gone->next;
        --sl.bucket->count;
    }
    freeCell(gone);
    return 1;
}

bool tableAdd(Table* t, std::string_view key, int64_t delta, int64_t now, int64_t* result) {
    const Slot sl = slotOf(t, key);
    BucketGuard g(*sl.bucket);
    bool found = false;
    Cell** link = findLink(*sl.bucket, sl.hash, key, &found);
    int64_t expire;
    if (found) {
        Cell* c = *link;
        if (expiredAt(t, c, now)) {
            // An expired counter starts again from initval, as in Kamailio.
            if (!t->hasInitval) return false;
            c->isStr = false;
            c->num = t->initval;
        }
        if (c->isStr) return false;
        c->num += delta;
        if (t->autoexpire > 0 && t->updateexpire) c->expire = now + t->autoexpire;
        expire = c->expire;
        *result = c->num;
    } else {
        if (!t->hasInitval) return false;
        Cell* c = newCell(sl.hash, key, 0);
        if (c == nullptr) return false;
        c->num = t->initval + delta;
        c->expire = newExpire(t, now, 0);
        c->next = *link;
        *link = c;
        ++sl.bucket->count;
        expire = c->expire;
        *result = c->num;
    }
    markWheel(t, sl.index, expire);
    return true;
}

bool tableSetExpire(Table* t, std::string_view key, int64_t exv, int64_t now) {
    const Slot sl = slotOf(t, key);
    BucketGuard g(*sl.bucket);
    bool found = false;
    Cell** link = findLink(*sl.bucket, sl.hash, key, &found);
    if (!found) return false;
    if (t->autoexpire == 0) return true;
    (*link)->expire = exv > 0 ? now + exv : 0;
    markWheel(t, sl.index, (*link)->expire);
    return true;
}

int64_t tableExpiresIn(Table* t, std::string_view key, int64_t now) {
    int64_t out = -1;
    tableGet(
        t, key, now, [](void* u, const CellView& c) { *static_cast<int64_t*>(u) = c.expire; },
        &out);
    if (out <= 0) return out;
    return t->autoexpire == 0 ? 0 : out - now;
}

struct Matcher {
    MatchOp op;
    std::string pattern;
    regex_t re;
    bool hasRe = false;
};

Matcher* matcherCreate(MatchOp op, std::string_view pattern) {
    auto* m = new (std::nothrow) Matcher{op, std::string(pattern), {}, false};
    if (m == nullptr) return nullptr;
    if (op == MatchOp::Re) {
        // Kamailio's flags: extended, case-insensitive, '^'/'$' at line breaks.
        if (regcomp(&m->re, m->pattern.c_str(), REG_EXTENDED | REG_ICASE | REG_NEWLINE) != 0) {
            delete m;
            return nullptr;
        }
        m->hasRe = true;
    }
    return m;
}

void matcherDestroy(Matcher* m) {
    if (m == nullptr) return;
    if (m->hasRe) regfree(&m->re);
    delete m;
}

namespace {

bool matches(MatchField f, const Matcher& m, const Cell* c) {
    const char* text;
    std::string_view s;
    if (f == MatchField::Name) {
        text = c->data;
        s = c->key();
    } else {
        if (!c->isStr) return false;
        text = c->data + c->keyLen + 1;
        s = c->str();
    }
    switch (m.op) {
        case MatchOp::Eq:
            return s == m.pattern;
        case MatchOp::Ne:
            return s != m.pattern;
        case MatchOp::Sw:
            return s.substr(0, m.pattern.size()) == m.pattern;
        case MatchOp::Re:
            return regexec(&m.re, text, 0, nullptr, 0) == 0;
    }
    return false;
}

}  // namespace

bool tableAnyMatch(Table* t, MatchField f, const Matcher& m, int64_t now) {
    for (size_t i = 0; i <= t->mask; ++i) {
        Bucket& b = t->buckets[i];
        BucketGuard g(b);
        for (Cell* c = b.head; c != nullptr; c = c->next) {
            if (!expiredAt(t, c, now) && matches(f, m, c)) return true;
        }
    }
    return false;
}

namespace {

// Unlinks the cells of one bucket the predicate selects into *out (freed by the caller after
// the lock is released).
template <class Pred>
size_t unlinkLocked(Bucket& b, Cell** out, Pred pred) {
    size_t n = 0;
    for (Cell** link = &b.head; *link != nullptr;) {
        Cell* c = *link;
        if (pred(c)) {
            *link = c->next;
            c->next = *out;
            *out = c;
            --b.count;
            ++n;
        } else {
            link = &c->next;
        }
    }
    return n;
}

template <class Pred>
size_t unlinkIf(Bucket& b, Cell** out, Pred pred) {
    BucketGuard g(b);
    return unlinkLocked(b, out, pred);
}

void freeList(Cell* c) {
    while (c != nullptr) {
        Cell* next = c->next;
        freeCell(c);
        c = next;
    }
}

}  // namespace

size_t tableRemoveMatching(Table* t, MatchField f, const Matcher& m) {
    size_t n = 0;
    for (size_t i = 0; i <= t->mask; ++i) {
        Cell* gone = nullptr;
        n += unlinkIf(t->buckets[i], &gone, [&](const Cell* c) { return matches(f, m, c); });
        freeList(gone);
    }
    return n;
}

size_t tableFlush(Table* t) {
    size_t n = 0;
    for (size_t i = 0; i <= t->mask; ++i) {
        Cell* gone = nullptr;
        n += unlinkIf(t->buckets[i], &gone, [](const Cell*) { return true; });
        freeList(gone);
    }
    return n;
}

size_t tableVisitBucket(Table* t, size_t b, int64_t now, CellFn fn, void* user) {
    if (b > t->mask) return 0;
    Bucket& bk = t->buckets[b];
    BucketGuard g(bk);
    size_t n = 0;
    for (Cell* c = bk.head; c != nullptr; c = c->next) {
        if (expiredAt(t, c, now)) continue;
        fn(user, viewOf(c));
        ++n;
    }
    return n;
}

bool tableNext(Table* t, Cursor& cur, int64_t now, CellFn fn, void* user) {
    for (; cur.bucket <= t->mask; ++cur.bucket, cur.inBucket = false) {
        Bucket& b = t->buckets[cur.bucket];
        BucketGuard g(b);
        for (Cell* c = b.head; c != nullptr; c = c->next) {
            if (cur.inBucket && compare(cur.hash, cur.key, c) >= 0) continue;
            if (expiredAt(t, c, now)) continue;
            cur.inBucket = true;
            cur.hash = c->hash;
            cur.key.assign(c->data, c->keyLen);
            if (fn != nullptr) fn(user, viewOf(c));
            return true;
        }
    }
    return false;
}

size_t tableExpire(Table* t, int64_t now) {
    if (t->wheel == nullptr) return 0;
    // Slot s holds buckets with a cell that expires at s - 1, which is gone once s <= now:
    // sweep through now. (A write in this very second marks a later slot: its expiry is at
    // least one second away.)
    int64_t from = t->lastSwept + 1;
    const int64_t to = now;
    if (t->lastSwept == 0 || to - from >= kWheelSlots) from = to - (kWheelSlots - 1);
    size_t freed = 0;
    for (int64_t s = from; s <= to; ++s) {
        const uint64_t slot = static_cast<uint64_t>(s) % kWheelSlots;
        std::atomic<uint64_t>* words = &t->wheel[slot * t->wheelWords];
        for (uint32_t w = 0; w < t->wheelWords; ++w) {
            uint64_t bits = words[w].exchange(0, std::memory_order_relaxed);
            while (bits != 0) {
                const unsigned bit = static_cast<unsigned>(__builtin_ctzll(bits));
                bits &= bits - 1;
                const size_t bi = size_t{w} * 64 + bit;
                Bucket& b = t->buckets[bi];
                // The timer process never waits for a bucket: one a script holds with
                // sht_lock (or a writer holds right now) is swept a second later.
                if (!b.lock.tryLock()) {
                    const uint64_t next = (slot + 1) % kWheelSlots;
                    t->wheel[next * t->wheelWords + w].fetch_or(uint64_t{1} << bit,
                                                                std::memory_order_relaxed);
                    continue;
                }
                Cell* gone = nullptr;
                bool again = false;
                freed += unlinkLocked(b, &gone, [&](const Cell* c) {
                    if (expiredAt(t, c, now)) return true;
                    // Due a whole wheel turn (or more) later: stays marked in this slot.
                    if (c->expire != 0 &&
                        static_cast<uint64_t>(c->expire + 1) % kWheelSlots == slot)
                        again = true;
                    return false;
                });
                b.lock.unlock();
                freeList(gone);
                if (again) words[w].fetch_or(uint64_t{1} << bit, std::memory_order_relaxed);
            }
        }
    }
    t->lastSwept = to;
    t->expired.fetch_add(freed, std::memory_order_relaxed);
    return freed;
}

void tableLockKey(Table* t, std::string_view key) {
    Bucket& b = *slotOf(t, key).bucket;
    if (!b.lock.heldByCaller()) lockBucket(b);
}

void tableUnlockKey(Table* t, std::string_view key) {
    Bucket& b = *slotOf(t, key).bucket;
    if (b.lock.heldByCaller()) b.lock.unlock();
}

void tableSwapContents(Table* dst, Table* src) {
    const size_t n = std::min(tableBuckets(dst), tableBuckets(src));
    for (size_t i = 0; i < n; ++i) {
        Bucket& d = dst->buckets[i];
        Bucket& s = src->buckets[i];
        BucketGuard gd(d);
        BucketGuard gs(s);
        std::swap(d.head, s.head);
        std::swap(d.count, s.count);
        for (Cell* c = d.head; c != nullptr; c = c->next) markWheel(dst, i, c->expire);
    }
}

TableStats tableStats(Table* t) {
    TableStats s;
    s.min = SIZE_MAX;
    for (size_t i = 0; i <= t->mask; ++i) {
        Bucket& b = t->buckets[i];
        BucketGuard g(b);
        s.all += b.count;
        s.min = std::min<size_t>(s.min, b.count);
        s.max = std::max<size_t>(s.max, b.count);
    }
    return s;
}

uint64_t tableExpiredCount(const Table* t) {
    return t->expired.load(std::memory_order_relaxed);
}

}  // namespace osprey::htable
