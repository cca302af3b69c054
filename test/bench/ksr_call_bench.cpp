// What one KSR.<module>.<function>(...) call costs across the Lua boundary (make bench-ksr-call):
// the generated trampoline reading and converting its arguments, the call, the result pushed.
// A Lua loop calls the export `kCalls` times per iteration, so the Lua side's loop overhead is
// included (an empty loop is the baseline in the same run). Numeric strings for integer
// parameters take the conversion path Kamailio's app_lua allows ("404" for 404).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/lua/builtin_exports.h"
#include "core/lua/engine.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"

namespace {

using namespace osprey;

int add(lua::Ctx& ctx, int a, int b) noexcept {
    return a + b + static_cast<int>(ctx.flags);
}
int reply(lua::Ctx&, int code, std::string_view reason) noexcept {
    return code + static_cast<int>(reason.size());
}
bool none(lua::Ctx& ctx) noexcept {
    return ctx.flags == 0;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&add>("add"),
    lua::fn<&reply>("reply"),
    lua::fn<&none>("none"),
};
constexpr module::ModuleExport kBench{.name = "b", .functions = kFunctions};

constexpr int kCalls = 1000;

constexpr const char* kScript = R"(
local N = 1000
function ksr_request_route() end
function loop_empty() local s = 0 for i = 1, N do s = s + i end end
function loop_none() for i = 1, N do KSR.b.none() end end
function loop_int() for i = 1, N do KSR.b.add(i, 2) end end
function loop_int_string() for i = 1, N do KSR.b.add("404", 2) end end
function loop_reply() for i = 1, N do KSR.b.reply(404, "Not Found") end end
)";

lua::Engine& engine() {
    static std::unique_ptr<lua::Engine> e = [] {
        std::vector<const module::ModuleExport*> exports(lua::builtinExports().begin(),
                                                         lua::builtinExports().end());
        exports.push_back(&kBench);
        lua::EngineOptions options;
        options.scriptPath = "ksr_call_bench.lua";
        std::string err;
        auto made = lua::Engine::createFromText(options, kScript, exports, &err);
        if (!made) {
            std::fprintf(stderr, "%s\n", err.c_str());
            std::abort();
        }
        return made;
    }();
    return *e;
}

void runLoop(benchmark::State& state, const char* function) {
    lua::Engine& e = engine();
    lua::Ctx ctx;
    for (auto _ : state) {
        if (e.run(function, ctx) != lua::RouteStatus::Ok) {
            state.SkipWithError("route failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * kCalls);
}

void BM_LoopEmpty(benchmark::State& s) {
    runLoop(s, "loop_empty");
}
void BM_CallNoArgs(benchmark::State& s) {
    runLoop(s, "loop_none");
}
void BM_CallIntInt(benchmark::State& s) {
    runLoop(s, "loop_int");
}
void BM_CallNumericStringInt(benchmark::State& s) {
    runLoop(s, "loop_int_string");
}
void BM_CallIntString(benchmark::State& s) {
    runLoop(s, "loop_reply");
}
BENCHMARK(BM_LoopEmpty);
BENCHMARK(BM_CallNoArgs);
BENCHMARK(BM_CallIntInt);
BENCHMARK(BM_CallNumericStringInt);
BENCHMARK(BM_CallIntString);

}  // namespace

BENCHMARK_MAIN();
