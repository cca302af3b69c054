// The address-of-record table in shm: 2^hash_size slots, each with its own lock and a list of
// records; a record holds the AOR and its contacts. Each contact is one shm block with its
// texts packed behind a 48-byte header, each record one block with the AOR behind a 24-byte
// header, so a registration costs two allocations and no per-field pointers.
//
// Every operation locks exactly one slot. Changes for the database are pushed to the change
// ring (change_ring.h) while the slot is still locked, so the ring holds the changes of one AOR
// in the order they were made.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/stats/counter.h"
#include "modules/usrloc/api.h"

namespace osprey::usrloc {

class ChangeRing;

// Creates a table in shm (nullptr when out of memory or the name is too long). `index` is the
// table's number in change records.
Table* createTable(std::string_view name, unsigned log2Slots, uint8_t index);
void destroyTable(Table* t);

std::string_view tableName(const Table* t);
uint8_t tableIndex(const Table* t);
size_t slotCount(const Table* t);

// The ring changes go to (nullptr: memory only). Set once, before fork.
void setChangeRing(Table* t, ChangeRing* ring);

// The table's statistics (Kamailio's per-domain usrloc:<table>-users, -contacts, -expires):
// records and contacts held now, contacts removed by expiry. Set once, before fork; until
// then the table counts nowhere.
struct TableStats {
    stats::Gauge users;
    stats::Gauge contacts;
    stats::Counter expires;
};
void setTableStats(Table* t, const TableStats& st);

// What a write-through caller waits for once the slot is unlocked (db_mode 1; commit_wait.h).
struct Durability {
    uint64_t seq = 0;   // ring sequence number covering the change and earlier ones of the AOR
    bool lost = false;  // a change could not be queued (ring full): it will not be written
};

// `dur` (optional) is filled when the table persists (a ring is set and persist is true), also
// when nothing changed: a retransmitted REGISTER must not be confirmed before the original.
SaveStatus tableSave(Table* t, std::string_view aor, std::span<const ContactData> updates,
                     bool removeAll, uint32_t maxContacts, bool persist, int64_t nowSec,
                     BindingFn fn, void* user, Durability* dur = nullptr);
// *present (optional): whether aor has a record at all (the redis store's cache tells "known
// here" from "ask Redis").
int tableGet(Table* t, std::string_view aor, int64_t nowSec, BindingFn fn, void* user,
             bool* present = nullptr);
int tableRemove(Table* t, std::string_view aor, std::string_view uri, int64_t nowSec,
                Durability* dur = nullptr);

// Visits the unexpired bindings of every record in slot `slot` (locked for the call only, so a
// dump of a large table holds each lock for one slot's worth of records); returns how many.
// A record's bindings come one after another with the same aor.
// heldNs, when given, gets how long the lock was held (from acquired to the last binding):
// what a SIP worker wanting that slot could have waited.
using SlotBindingFn = void (*)(void* user, std::string_view aor, const ContactData& c);
size_t tableVisitSlot(Table* t, size_t slot, int64_t nowSec, SlotBindingFn fn, void* user,
                      int64_t* heldNs = nullptr);

// A sign of life of binding `uri` (an answer to a NAT keepalive): its lastKeepalive := nowSec.
// False when aor has no such binding.
bool tableKeepalive(Table* t, std::string_view aor, std::string_view uri, int64_t nowSec);

// Start-up load: adds a binding as stored (no change record). False when out of memory.
bool tableLoad(Table* t, std::string_view aor, const ContactData& c);

// The redis store's cache (redis_store.h). tableFill adds what Redis holds for aor, as one
// step under the slot lock, only when aor has no record here and `generation` still equals
// `seen` (no invalidation since the caller asked Redis); expired bindings are skipped. Returns
// whether it was kept. tableDrop forgets aor's record (no change record); tableClear forgets
// every record.
bool tableFill(Table* t, std::string_view aor, std::span<const ContactData> cs, int64_t nowSec,
               const std::atomic<uint64_t>& generation, uint64_t seen);
bool tableDrop(Table* t, std::string_view aor);
size_t tableClear(Table* t);

// Removes expired contacts (and emptied records) from slots [first, first + n); returns how
// many contacts went. The expiry timer calls it with a slice per tick. fn, when given, sees
// each expired binding (slot locked) before it is freed.
size_t tableExpire(Table* t, size_t first, size_t n, int64_t nowSec, SlotBindingFn fn = nullptr,
                   void* user = nullptr);

// Number of records and contacts (walks every slot; for tests and stats).
struct TableCounts {
    size_t records = 0;
    size_t contacts = 0;
    size_t longestList = 0;  // records in the longest bucket list (what a lookup may walk)
};
TableCounts tableCounts(Table* t);

uint64_t aorHash(std::string_view aor);

}  // namespace osprey::usrloc
