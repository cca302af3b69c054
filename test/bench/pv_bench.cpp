// What a cached KSR.pv.get costs below the Lua boundary (make bench-pv): the name looked up in
// the per-process cache, then the value read from a parsed INVITE. The baseline in the same run
// is the read alone with the name already resolved, so the difference is the cache's cost.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "core/net/sock_addr.h"
#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/route/msg_context.h"
#include "mem/pkg.h"
#include "test/support/pv_invite.h"

namespace {

using namespace osprey;

constexpr std::string_view kNames[] = {"$rU", "$fU", "$ci", "$hdr(X-Custom)", "$var(c)"};

// One parsed INVITE for every benchmark (parsed headers stay cached on the message).
route::MsgContext& message() {
    static route::MsgContext* mc = [] {
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
        auto* m = new route::MsgContext();
        if (!sip::parseMsg(m->msg, testsupport::kPvInvite)) abort();
        net::RecvInfo info;
        net::parseIp("192.0.2.1", 5062, info.src);
        m->start(info);
        return m;
    }();
    return *mc;
}

// KSR.pv.get as the pv module does it: cache lookup of the name, then the get.
void BM_PvLookupAndGet(benchmark::State& state) {
    route::MsgContext& mc = message();
    const std::string_view name = kNames[state.range(0)];
    for (auto _ : state) {
        benchmark::DoNotOptimize(pv::pvGet(mc, pv::pvLookup(name).spec));
    }
    state.SetLabel(std::string(name));
}
BENCHMARK(BM_PvLookupAndGet)->DenseRange(0, std::size(kNames) - 1);

// Baseline: the get alone, the name resolved once before the loop.
void BM_PvGetResolved(benchmark::State& state) {
    route::MsgContext& mc = message();
    const std::string_view name = kNames[state.range(0)];
    const pv::PvLookup r = pv::pvLookup(name);
    for (auto _ : state) {
        benchmark::DoNotOptimize(pv::pvGet(mc, r.spec));
    }
    state.SetLabel(std::string(name));
}
BENCHMARK(BM_PvGetResolved)->DenseRange(0, std::size(kNames) - 1);

}  // namespace

BENCHMARK_MAIN();
