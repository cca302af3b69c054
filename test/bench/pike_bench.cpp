// What a pike check costs (make bench-pike): RateTable::hit for the source of a message (key
// from the socket address, the coarse clock, one bucket), for one address and for 4096, and
// the early-drop probe of a blocked source (hitIfBlocked), in ns per call with
// google-benchmark.
//
// Instructions per check are counted by callgrind (scripts/bench/pike-ir.sh): run with
// --check-loop=N, this binary does N checks inside pikeCheckLoop() only (and N probes of a
// blocked address inside pikeBlockedLoop()), and callgrind collects inside one of them.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/net/sock_addr.h"
#include "mem/shm.h"
#include "modules/pike/pike_state.h"
#include "modules/pike/rate_table.h"

namespace {

using namespace osprey;

constexpr unsigned kSources = 4096;

pike::RateTable* g_table = nullptr;
std::vector<net::SockAddr> g_addrs;
net::SockAddr g_blocked;

void setUp() {
    if (g_table != nullptr) return;
    if (!mem::shmReady() && !mem::shmInit(64u << 20)) std::abort();
    pike::RateLimits l;  // Kamailio's defaults but a limit no benchmark address reaches
    l.maxHits = 60000;
    g_table = pike::RateTable::create(1u << 12, l);
    if (g_table == nullptr) std::abort();
    for (unsigned i = 0; i < kSources; ++i) {
        net::SockAddr a;
        char ip[32];
        std::snprintf(ip, sizeof ip, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        if (!net::parseIp(ip, 5060, a)) std::abort();
        g_addrs.push_back(a);
    }
    // One address over a small limit in a table of its own, for the blocked probe.
    if (!net::parseIp("198.51.100.1", 5060, g_blocked)) std::abort();
}

pike::RateTable* blockedTable() {
    static pike::RateTable* t = [] {
        pike::RateLimits l;
        l.maxHits = 1;
        pike::RateTable* r = pike::RateTable::create(1u << 12, l);
        (void)r->hit(pike::keyOf(g_blocked), pike::nowSec());
        return r;
    }();
    return t;
}

void BM_PikeCheckOneSource(benchmark::State& state) {
    setUp();
    for (auto _ : state) {
        benchmark::DoNotOptimize(g_table->hit(pike::keyOf(g_addrs[0]), pike::nowSec()));
    }
}
BENCHMARK(BM_PikeCheckOneSource);

void BM_PikeCheckManySources(benchmark::State& state) {
    setUp();
    unsigned i = 0;
    for (auto _ : state) {
        const net::SockAddr& a = g_addrs[i++ & (kSources - 1)];
        benchmark::DoNotOptimize(g_table->hit(pike::keyOf(a), pike::nowSec()));
    }
}
BENCHMARK(BM_PikeCheckManySources);

void BM_PikeEarlyDropProbe(benchmark::State& state) {
    setUp();
    pike::RateTable* t = blockedTable();
    for (auto _ : state) {
        benchmark::DoNotOptimize(t->hitIfBlocked(pike::keyOf(g_blocked), pike::nowSec()));
    }
}
BENCHMARK(BM_PikeEarlyDropProbe);

}  // namespace

// Kept out of line and named for callgrind's --toggle-collect.
extern "C" __attribute__((noinline)) unsigned pikeCheckLoop(unsigned n) {
    unsigned ok = 0;
    for (unsigned i = 0; i < n; ++i) {
        const net::SockAddr& a = g_addrs[i & (kSources - 1)];
        ok += g_table->hit(pike::keyOf(a), pike::nowSec()) == pike::Verdict::Ok;
    }
    return ok;
}

extern "C" __attribute__((noinline)) unsigned pikeBlockedLoop(pike::RateTable* t, unsigned n) {
    unsigned dropped = 0;
    for (unsigned i = 0; i < n; ++i)
        dropped += t->hitIfBlocked(pike::keyOf(g_blocked), pike::nowSec());
    return dropped;
}

int main(int argc, char** argv) {
    if (argc == 2 && std::strncmp(argv[1], "--check-loop=", 13) == 0) {
        const unsigned n = static_cast<unsigned>(std::strtoul(argv[1] + 13, nullptr, 10));
        setUp();
        const unsigned ok = pikeCheckLoop(n);
        pike::RateTable* t = blockedTable();
        const unsigned dropped = pikeBlockedLoop(t, n);
        std::printf("ok %u dropped %u of %u, evicted %lu\n", ok, dropped, n,
                    static_cast<unsigned long>(g_table->evicted()));
        return ok == n && dropped == n ? 0 : 1;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
