// What a DNS cache hit costs (make bench-dns): dns::lookup of a name the cache holds (one
// A/AAAA entry, two SRV targets), and route::nextHopFromUri for a URI with that name (URI
// parsing and target choice included), in ns per call with google-benchmark.
//
// Instructions per hit are counted by callgrind (scripts/bench/dns-hit-ir.sh): run with
// --hit-loop=N, this binary does N hits inside dnsHitLoop() only, and callgrind collects
// inside that function alone, so its Ir divided by N is the cost of one hit.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/dns/dns_cache.h"
#include "core/route/next_hop.h"
#include "core/timer/timer_process.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace {

using namespace osprey;

const dns::Query kAddr{"sip-proxy.example.test", dns::QueryKind::Addr};
const dns::Query kSrv{"example.test", dns::QueryKind::SrvUdp};

void fill(const dns::Query& q, unsigned targets) {
    dns::Answer a;
    if (dns::lookup(q, &a) != dns::LookupResult::Pending) abort();
    dns::PendingQuery pq;
    if (!dns::takeQuery(&pq)) abort();
    a = dns::Answer{};
    a.count = static_cast<uint8_t>(targets);
    for (unsigned i = 0; i < targets; ++i) {
        a.targets[i] = dns::Target{};
        net::parseIp("192.0.2.1", static_cast<uint16_t>(5060 + i), a.targets[i].addr);
        a.targets[i].group = static_cast<uint8_t>(i);
        a.targets[i].priority = static_cast<uint16_t>(10 * i);
    }
    dns::complete(pq.entry, a, 86400);
}

void setUp() {
    static bool done = false;
    if (done) return;
    done = true;
    if (!mem::shmInit(16u << 20)) abort();
    mem::pkgInit(4u << 20);
    if (!dns::createCache(1024) || !timer::startTimers()) abort();
    fill(kAddr, 1);
    fill(kSrv, 2);
}

void BM_DnsCacheHit(benchmark::State& state) {
    setUp();
    dns::Answer a;
    for (auto _ : state) {
        benchmark::DoNotOptimize(dns::lookup(kAddr, &a));
    }
}
BENCHMARK(BM_DnsCacheHit);

void BM_NextHopFromNamedUri(benchmark::State& state) {
    setUp();
    net::Destination d;
    for (auto _ : state) {
        benchmark::DoNotOptimize(route::nextHopFromUri("sip:bob@example.test", &d));
    }
}
BENCHMARK(BM_NextHopFromNamedUri);

}  // namespace

// Kept out of line and named for callgrind's --toggle-collect.
extern "C" __attribute__((noinline)) unsigned dnsHitLoop(unsigned n) {
    dns::Answer a;
    unsigned hits = 0;
    for (unsigned i = 0; i < n; ++i) hits += dns::lookup(kAddr, &a) == dns::LookupResult::Hit;
    return hits;
}

int main(int argc, char** argv) {
    if (argc == 2 && std::strncmp(argv[1], "--hit-loop=", 11) == 0) {
        const unsigned n = static_cast<unsigned>(std::strtoul(argv[1] + 11, nullptr, 10));
        setUp();
        const unsigned hits = dnsHitLoop(n);
        std::printf("hits %u of %u\n", hits, n);
        return hits == n ? 0 : 1;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
