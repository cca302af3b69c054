// What htable costs per operation (make bench-htable), on a real shm segment with 10,000 keys
// in 2^10 buckets: a read of an existing key (string and integer), a miss, an update in place,
// sht_inc, an insert plus delete (one shm allocation and free), sht_match_name as a scan of
// every bucket (what the module avoids for "eq"), shm bytes per ban entry, and $sht(t=>key) as
// KSR.pv.get reaches it (name cache, then the module's class). The baseline in the same run is
// std::unordered_map<std::string, int64_t>::find on the same keys in private memory, so the
// ratio shows what shared memory, the bucket lock and copying the value out add.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/route/msg_context.h"
#include "mem/pkg.h"
#include "mem/shm.h"
#include "modules/htable/ht_script.h"
#include "modules/htable/ht_state.h"
#include "modules/htable/table.h"

namespace {

using namespace osprey;

constexpr int kKeys = 10000;
constexpr int64_t kNow = 1'700'000'000;

const std::vector<std::string>& keys() {
    static const std::vector<std::string> k = [] {
        std::vector<std::string> v;
        for (int i = 0; i < kKeys; ++i) v.push_back("192.0.2." + std::to_string(i));
        return v;
    }();
    return k;
}

htable::Table* table() {
    static htable::Table* t = [] {
        if (!mem::shmReady() && !mem::shmInit(64u << 20)) abort();
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
        htable::TableSpec s;
        s.name = "t";
        s.sizeBits = 10;
        s.autoexpire = 300;
        htable::Table* tt = htable::tableCreate(s);
        if (tt == nullptr) abort();
        for (int i = 0; i < kKeys; ++i) {
            if (i % 2 == 0)
                htable::tableSetStr(tt, keys()[i], "sip:someone@example.com", kNow);
            else
                htable::tableSetInt(tt, keys()[i], i, kNow);
        }
        htable::tables().push_back(tt);
        if (!pv::registerPvClasses(htable::pvClasses())) abort();
        return tt;
    }();
    return t;
}

void copyOut(void* u, const htable::CellView& c) {
    *static_cast<lua::PvValue*>(u) = htable::keepValue(c);
}

void BM_GetHit(benchmark::State& state) {
    htable::Table* t = table();
    size_t i = 0;
    for (auto _ : state) {
        lua::PvValue v;
        benchmark::DoNotOptimize(htable::tableGet(t, keys()[i], kNow, &copyOut, &v));
        i = (i + 1) % kKeys;
    }
}
BENCHMARK(BM_GetHit);

void BM_GetMiss(benchmark::State& state) {
    htable::Table* t = table();
    const std::string k = "198.51.100.1";
    for (auto _ : state) benchmark::DoNotOptimize(htable::tableExists(t, k, kNow));
}
BENCHMARK(BM_GetMiss);

void BM_SetIntInPlace(benchmark::State& state) {
    htable::Table* t = table();
    size_t i = 1;
    for (auto _ : state) {
        benchmark::DoNotOptimize(htable::tableSetInt(t, keys()[i], 7, kNow));
        i = (i + 2) % kKeys;
    }
}
BENCHMARK(BM_SetIntInPlace);

void BM_Inc(benchmark::State& state) {
    htable::Table* t = table();
    size_t i = 1;
    int64_t r = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(htable::tableAdd(t, keys()[i], 1, kNow, &r));
        i = (i + 2) % kKeys;
    }
}
BENCHMARK(BM_Inc);

void BM_InsertDelete(benchmark::State& state) {
    htable::Table* t = table();
    const std::string k = "203.0.113.7";
    for (auto _ : state) {
        benchmark::DoNotOptimize(htable::tableSetInt(t, k, 1, kNow));
        benchmark::DoNotOptimize(htable::tableDel(t, k));
    }
}
BENCHMARK(BM_InsertDelete);

// What sht_match_name(t, "eq", ip) would cost as Kamailio does it, a walk of every bucket;
// the module answers it with a lookup (BM_GetHit / BM_GetMiss) instead.
void BM_MatchNameScan(benchmark::State& state) {
    htable::Table* t = table();
    htable::Matcher* m = htable::matcherCreate(htable::MatchOp::Eq, "198.51.100.1");
    for (auto _ : state)
        benchmark::DoNotOptimize(htable::tableAnyMatch(t, htable::MatchField::Name, *m, kNow));
    htable::matcherDestroy(m);
}
BENCHMARK(BM_MatchNameScan);

// KSR.pv.get("$sht(t=>192.0.2.42)") below the Lua boundary.
void BM_ShtPvGet(benchmark::State& state) {
    table();
    static route::MsgContext mc;
    const std::string name = "$sht(t=>192.0.2.42)";
    for (auto _ : state) benchmark::DoNotOptimize(pv::pvGet(mc, pv::pvLookup(name).spec));
}
BENCHMARK(BM_ShtPvGet);

// Shared memory per item of an ipban-like table (IPv4 key, integer value): realUsed (with the
// allocator's per-block overhead) before and after 10,000 inserts, as a counter.
void BM_ShmPerBanEntry(benchmark::State& state) {
    htable::TableSpec s;
    s.name = "ban";
    s.sizeBits = 8;
    s.autoexpire = 300;
    for (auto _ : state) {
        htable::Table* t = htable::tableCreate(s);
        mem::shmFlushCache();
        const size_t before = mem::shmStats().realUsed;
        for (int i = 0; i < kKeys; ++i) htable::tableSetInt(t, keys()[i], 1, kNow);
        mem::shmFlushCache();
        const size_t after = mem::shmStats().realUsed;
        state.counters["bytes_per_item"] = static_cast<double>(after - before) / kKeys;
        htable::tableDestroy(t);
    }
}
BENCHMARK(BM_ShmPerBanEntry)->Iterations(3);

// Baseline: a private-heap hash map lookup of the same keys.
void BM_BaselineUnorderedMapFind(benchmark::State& state) {
    static const std::unordered_map<std::string, int64_t> m = [] {
        std::unordered_map<std::string, int64_t> x;
        for (int i = 0; i < kKeys; ++i) x.emplace(keys()[i], i);
        return x;
    }();
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(m.find(keys()[i]));
        i = (i + 1) % kKeys;
    }
}
BENCHMARK(BM_BaselineUnorderedMapFind);

}  // namespace

BENCHMARK_MAIN();
