// The redis location store, SIP-worker side (store = "redis"; docs/redis-store.md). The shm
// table stays the path of every lookup: an AOR with a record here is answered from it with no
// network round trip. Only an AOR this node does not hold is asked of Redis, with one HGETALL
// bounded by redis_timeout and no lock held; the answer is kept in the table (or, when there
// is none, remembered as "not registered" for negative_cache ms) until another node's change
// invalidates it. Writes never go to Redis from here: they take the change ring to the usrloc
// process (redis_writer.h), like the SQLite write-back.
#pragma once
#include <string_view>

#include "modules/usrloc/api.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {

bool redisStoreActive();

// Lookup: the cached bindings, else Redis's (kept in the cache). Returns how many.
int redisGet(Table* t, std::string_view aor, BindingFn fn, void* user);

// Before a change of aor (save, remove): makes sure this node holds what Redis has for it, so
// an unregister or max_contacts sees the bindings saved through other nodes.
void redisPrepareChange(Table* t, std::string_view aor);

// redis_down_policy "reject" (and sync_write): REGISTERs are refused (503) while the usrloc
// process cannot reach Redis. Counts the refusal.
bool redisRefusesWrites();

}  // namespace osprey::usrloc

namespace osprey::usrloc {

// After a change of aor: when it left no binding here, "not registered" is remembered for
// negative_cache ms, so a lookup does not fetch the old bindings back from Redis before the
// usrloc process has written the removal.
void redisAfterChange(Table* t, std::string_view aor);

}  // namespace osprey::usrloc
