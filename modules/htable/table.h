// One named hash table of Kamailio's htable module, in shm: 2^size buckets, each with its own
// lock and a chain of cells kept in (hash, key) order; a cell is one shm block holding its key,
// its value (an integer or a string, both NUL-terminated so POSIX regexec can read them in
// place) and its absolute expiry time in wall-clock seconds.
//
// Expiry (tables with autoexpire > 0) never scans the whole table: each table has a wheel of
// kWheelSlots one-second slots, each a bitmap with one bit per bucket. Whoever gives a cell an
// expiry time E sets, with an atomic OR, the bit of its bucket in slot (E + 1) % kWheelSlots;
// the timer, once per second, swaps the due slot's bitmap for zero and locks only the buckets
// whose bit was set, freeing what has expired and re-marking cells that expire a whole wheel
// turn later. A stale bit (the cell was refreshed or removed meanwhile) costs one bucket walk.
// Reads check the expiry time themselves, so an expired cell is never seen even before the
// sweep frees it.
//
// Every operation locks exactly one bucket. A process that took a bucket lock with
// tableLockKey (KSR.htable.sht_lock) may go on using that bucket: the lock is re-entrant for
// its holder (FutexMutex::heldByCaller).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::htable {

inline constexpr size_t kMaxTableName = 63;
inline constexpr uint32_t kWheelSlots = 256;

// A table definition as Kamailio writes it ("ipban=>size=8;autoexpire=300;").
struct TableSpec {
    std::string name;
    unsigned sizeBits = 4;  // 2^sizeBits buckets (Kamailio's default 4)
    uint32_t autoexpire = 0;
    bool hasInitval = false;
    int64_t initval = 0;
    bool updateexpire = true;
    std::string dbtable;
    int dbmode = 0;
};

struct Table;

// A cell as a visitor sees it, under its bucket's lock: copy what must outlive the call.
struct CellView {
    std::string_view key;
    bool isStr = false;
    int64_t num = 0;
    std::string_view str;
    int64_t expire = 0;  // wall seconds, 0 = never
};
using CellFn = void (*)(void* user, const CellView& c);

// nullptr when out of shm (or the name is too long).
Table* tableCreate(const TableSpec& spec);
void tableDestroy(Table* t);

std::string_view tableName(const Table* t);
size_t tableBuckets(const Table* t);
uint32_t tableAutoexpire(const Table* t);
bool tableHasInitval(const Table* t);
int64_t tableInitval(const Table* t);
bool tableUpdateexpire(const Table* t);
std::string_view tableDbtable(const Table* t);
int tableDbmode(const Table* t);

// Sets key to a string or an integer. exv > 0: expires exv seconds from now (tables with
// autoexpire only, as in Kamailio); otherwise a new cell gets autoexpire and an existing one
// keeps or refreshes its expiry per updateexpire. False when shm is exhausted (nothing changed).
bool tableSetStr(Table* t, std::string_view key, std::string_view value, int64_t now,
                 int64_t exv = 0);
bool tableSetInt(Table* t, std::string_view key, int64_t value, int64_t now, int64_t exv = 0);

// Calls fn with the cell when key is present and not expired; false otherwise.
bool tableGet(Table* t, std::string_view key, int64_t now, CellFn fn, void* user);
bool tableExists(Table* t, std::string_view key, int64_t now);
// 1 removed, 0 not found.
int tableDel(Table* t, std::string_view key);

// Kamailio's sht_inc/sht_dec: adds delta to an integer cell (creating it from initval when the
// table has one). False when the cell holds a string, or is absent and the table has no
// initval, or shm is exhausted.
bool tableAdd(Table* t, std::string_view key, int64_t delta, int64_t now, int64_t* result);

// Kamailio's setex: the cell expires exv seconds from now (exv <= 0: never). No-op on a table
// without autoexpire. False only when the key is absent.
bool tableSetExpire(Table* t, std::string_view key, int64_t exv, int64_t now);
// Seconds left before the cell expires (0: never, or no autoexpire); -1 when absent.
int64_t tableExpiresIn(Table* t, std::string_view key, int64_t now);

// Matching over the whole table, one bucket at a time: on the name (field Name) or on string
// values (Value; integer cells never match). Ops as Kamailio's sht_match_name / sht_rm_name.
enum class MatchField : uint8_t { Name, Value };
enum class MatchOp : uint8_t { Eq, Ne, Sw, Re };
struct Matcher;  // a compiled pattern (regex for Re)
// nullptr (logged by the caller) when a regex does not compile.
Matcher* matcherCreate(MatchOp op, std::string_view pattern);
void matcherDestroy(Matcher* m);

bool tableAnyMatch(Table* t, MatchField f, const Matcher& m, int64_t now);
size_t tableRemoveMatching(Table* t, MatchField f, const Matcher& m);
// Removes every cell; returns how many.
size_t tableFlush(Table* t);

// Visits the unexpired cells of bucket b (locked for the call only); returns how many.
size_t tableVisitBucket(Table* t, size_t b, int64_t now, CellFn fn, void* user);

// Iteration that holds no lock between steps: the position is the last cell's bucket and key,
// and each step finds the first unexpired cell after it in (bucket, hash, key) order, so cells
// added or removed meanwhile neither break nor block the walk.
struct Cursor {
    size_t bucket = 0;
    bool inBucket = false;  // hash/key name the last cell visited in `bucket`
    uint32_t hash = 0;
    std::string key;
};
bool tableNext(Table* t, Cursor& c, int64_t now, CellFn fn, void* user);

// The timer's step: sweeps the wheel slots due up to `now` (wall seconds). Returns the cells
// freed. Only one process may call it (the timer process).
size_t tableExpire(Table* t, int64_t now);

// Bucket lock held across script code (sht_lock / sht_unlock); unlock is a no-op unless this
// process holds it.
void tableLockKey(Table* t, std::string_view key);
void tableUnlockKey(Table* t, std::string_view key);

struct TableStats {
    size_t all = 0;
    size_t min = 0;
    size_t max = 0;
};
TableStats tableStats(Table* t);
// Cells freed by expiry since start.
uint64_t tableExpiredCount(const Table* t);

}  // namespace osprey::htable

namespace osprey::htable {

// Reload: moves every cell of `src` (a scratch table of the same size) into `dst`, one bucket
// at a time, and leaves dst's old cells in src for the caller to destroy.
void tableSwapContents(Table* dst, Table* src);

}  // namespace osprey::htable
