// The redis store's statistics (group usrloc, store_* names; docs/stats.md) and the
// ul.store_stats RPC answer: operations by result, latency histograms, cache hit ratio and
// queue depth, read from RedisShared in shm.
#pragma once
#include "core/rpc/result.h"

namespace osprey::usrloc {

// Declares the store_* statistics (master, before fork). False when a declaration failed.
bool declareStoreStats();

// ul.store_stats: {Store: "memory"} without the redis store.
rpc::Result storeStatsRpc();

}  // namespace osprey::usrloc
