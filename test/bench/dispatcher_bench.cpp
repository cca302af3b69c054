// What a dispatcher selection costs (make bench-dispatcher) with a set of 100 destinations:
// the work ds_select_dst does below the Lua boundary -- open a read scope on the current list,
// find the set, hash the Call-ID where the algorithm hashes, pick, and keep the selection for
// failover (a reference on the list) -- per algorithm, in ns with google-benchmark.
//
// Instructions per selection are counted by callgrind (scripts/bench/dispatcher-ir.sh): with
// --select-loop=ALG:N this binary does N selections inside dsSelectLoop() only, and callgrind
// collects inside that function alone, so its Ir divided by N is the cost of one selection.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mem/pkg.h"
#include "mem/shm.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_select.h"

namespace {

using namespace osprey;
using namespace osprey::dispatcher;

constexpr int kDests = 100;
constexpr const char* kCallId = "a84b4c76e66710-3f2e9a71c0d5@pc33.atlanta.example.com";

void setUp() {
    static bool done = false;
    if (done) return;
    done = true;
    if (!mem::shmInit(32u << 20)) abort();
    mem::pkgInit(4u << 20);
    if (!initCurrent() || !initCalls(14, 7200, 7200)) abort();
    std::vector<Row> rows;
    for (int i = 0; i < kDests; ++i) {
        Row r;
        r.setid = 1;
        r.uri = "sip:127.0.0." + std::to_string(1 + i / 50) + ":" + std::to_string(5100 + i);
        r.priority = i % 7;
        r.attrs = "weight=1;rweight=" + std::to_string(1 + i % 3) + ";duid=gw" + std::to_string(i);
        r.where = "bench";
        rows.push_back(r);
    }
    std::string error;
    if (!publishRows(rows, &error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        abort();
    }
    // Call load (10): the i-th destination in the set's order (priority order, not gw order)
    // carries 100 - i calls, so each is less loaded than the one before, the least loaded is
    // the last and no destination is idle: the worst case for a scan.
    ReadScope rs;
    const List* l = rs.list();
    const Set& s = *l->findSet(1);
    uint64_t call = 1;
    for (uint32_t i = 0; i < s.count; ++i) {
        const int slot = l->dest(s, i).loadSlot;
        for (uint32_t k = 0; k < s.count - i; ++k) loadAssign(call++ * 0x9e3779b97f4a7c15ull, slot);
    }
}

// One ds_select_dst(1, alg) below Lua, with failover kept; returns the pick.
inline int selectOnce(int alg) {
    ReadScope rs;
    List* l = rs.list();
    const Set* s = l->findSet(1);
    uint64_t h = 0;
    if (alg == kHashCallId) h = hashText(kCallId, std::strlen(kCallId));
    Selection sel;
    const int idx = selectFirst(*l, static_cast<uint32_t>(s - l->sets), alg, h, false, &sel);
    holdList(l);
    dropList(l);  // the transaction's end, so the benchmark leaves the list as it found it
    return idx;
}

void BM_Select(benchmark::State& state) {
    setUp();
    const int alg = static_cast<int>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(selectOnce(alg));
}
BENCHMARK(BM_Select)
    ->Arg(kHashCallId)
    ->Arg(kRoundRobin)
    ->Arg(kRandom)
    ->Arg(kPriority)
    ->Arg(kWeight)
    ->Arg(kCallLoad)
    ->Arg(kRelWeight)
    ->Arg(kLatency);

}  // namespace

// Kept out of line and named for callgrind's --toggle-collect.
extern "C" __attribute__((noinline)) unsigned dsSelectLoop(int alg, unsigned n) {
    unsigned ok = 0;
    for (unsigned i = 0; i < n; ++i) ok += selectOnce(alg) >= 0;
    return ok;
}

// Algorithm 10's call tracking, as ds_select_dst(set, 10) and the BYE's ds_load_update() do it:
// the call goes onto a destination's count, then comes off. Out of line for callgrind too.
extern "C" __attribute__((noinline)) unsigned dsLoadLoop(unsigned n) {
    ReadScope rs;
    const List* l = rs.list();
    const int slot = l->dest(*l->findSet(1), 0).loadSlot;
    unsigned ok = 0;
    for (unsigned i = 0; i < n; ++i) {
        const uint64_t call = (0x1000000ull + i) * 0x9e3779b97f4a7c15ull;
        loadAssign(call, slot);
        ok += loadUnset(call);
    }
    return ok;
}

int main(int argc, char** argv) {
    if (argc == 2 && std::strncmp(argv[1], "--select-loop=", 14) == 0) {
        char* end = nullptr;
        const int alg = static_cast<int>(std::strtol(argv[1] + 14, &end, 10));
        const unsigned n = static_cast<unsigned>(std::strtoul(end + 1, nullptr, 10));
        setUp();
        const unsigned ok = dsSelectLoop(alg, n);
        std::printf("selected %u of %u\n", ok, n);
        return ok == n ? 0 : 1;
    }
    if (argc == 2 && std::strncmp(argv[1], "--load-loop=", 12) == 0) {
        const unsigned n = static_cast<unsigned>(std::strtoul(argv[1] + 12, nullptr, 10));
        setUp();
        const unsigned ok = dsLoadLoop(n);
        std::printf("tracked %u of %u\n", ok, n);
        return ok == n ? 0 : 1;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
