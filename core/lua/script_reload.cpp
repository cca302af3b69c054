// Checking, publishing and adopting a new generation of the routing script.
#include "core/lua/script_reload.h"

#include <csignal>
#include <new>

#include <unistd.h>

#include "core/config/config.h"
#include "core/log/log.h"
#include "core/lua/process_engine.h"
#include "core/lua/script_check.h"
#include "core/lua/script_steps.h"
#include "core/proc/child.h"
#include "core/timer/clock.h"

namespace osprey::lua {

namespace {

constexpr int64_t kFirstRetryMs = 1000;
constexpr int64_t kMaxRetryMs = 60000;

// This process's side of the switch.
uint64_t g_running = 0;
uint64_t g_failedGeneration = 0;
uint32_t g_failures = 0;
int64_t g_nextRetryMs = 0;  // CLOCK_MONOTONIC

// "path:line: message" without the traceback the engine appends for the log.
std::string firstLine(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string resolve(std::string_view path, const std::string& current) {
    if (path.empty()) return current;
    std::string p(path);
    if (p.front() == '/') return p;
    const std::string& cfgFile = config::current().file;
    const size_t slash = cfgFile.rfind('/');
    return slash == std::string::npos ? p : cfgFile.substr(0, slash + 1) + p;
}

// Wakes every other process that runs Lua, so the idle ones switch now rather than at their
// next timed look. SIGHUP is one of the control signals a child takes through its signalfd.
void nudgeProcesses(const ScriptStatus& status) {
    const int self = getpid();
    for (const ScriptStatus::Process& p : status.processes) {
        if (p.slot != 0 && p.pid > 0 && p.pid != self) kill(p.pid, SIGHUP);
    }
}

ReloadResult reloadChecked(std::string_view requested) {
    ReloadResult r;
    r.generation = publishedGeneration();
    if (!scriptReleaseReady()) {
        r.error = "the routing script is not published in shared memory (server not started)";
        return r;
    }
    std::string currentPath, currentText;
    uint64_t gen = 0;
    copyPublishedScript(&currentPath, &currentText, &gen);
    const std::string path = resolve(requested, currentPath);
    if (path.empty()) {
        r.error = "no Lua script configured";
        return r;
    }
    EngineOptions options;
    if (!engineOptions(config::current(), &options)) {
        r.error = "invalid Lua settings in the configuration";
        return r;
    }
    options.scriptPath = path;
    std::string text, error;
    if (!readScriptFile(path, &text, &error) || !checkScriptText(options, text, &error)) {
        r.error = firstLine(error);
        recordRefusedReload(r.error);
        LM_ERR("lua: reload refused, generation %lu keeps running: %s",
               static_cast<unsigned long>(r.generation), error.c_str());
        return r;
    }
    if (!publishScript(path, text, &r.generation)) {
        r.error = "out of shared memory for the script text";
        recordRefusedReload(r.error);
        LM_ERR("lua: reload of %s: %s", path.c_str(), r.error.c_str());
        return r;
    }
    r.ok = true;
    LM_NOTICE("lua: published script generation %lu (%s, %zu bytes)",
              static_cast<unsigned long>(r.generation), path.c_str(), text.size());
    nudgeProcesses(scriptStatus());
    return r;
}

}  // namespace

ReloadResult reloadScript(std::string_view path) {
    try {
        return reloadChecked(path);
    } catch (const std::bad_alloc&) {
        ReloadResult r;
        r.generation = publishedGeneration();
        r.error = "out of memory while checking the script";
        LM_ERR("lua: reload refused: %s", r.error.c_str());
        return r;
    }
}

int64_t reloadRetryDelayMs(uint32_t failures) {
    int64_t d = kFirstRetryMs;
    for (uint32_t i = 1; i < failures && d < kMaxRetryMs; ++i) d *= 2;
    return d < kMaxRetryMs ? d : kMaxRetryMs;
}

void startedProcessScript(uint64_t generation) {
    g_running = generation;
    g_failedGeneration = 0;
    g_failures = 0;
    recordProcessGeneration(proc::self().slot, generation);
}

void syncProcessScript() noexcept {
    const uint64_t published = publishedGeneration();
    if (published == g_running || published == 0) return;  // the common case: one load
    Engine* engine = processEngine();
    if (engine == nullptr) return;
    const int64_t now = timer::nowMs();
    if (published == g_failedGeneration && now < g_nextRetryMs) return;
    const unsigned slot = proc::self().slot;
    uint64_t gen = published;
    std::string error;
    try {
        std::string path, text;
        if (!copyPublishedScript(&path, &text, &gen)) return;
        if (engine->replaceScript(path, std::move(text), &error)) {
            LM_NOTICE("lua: switched to script generation %lu (%s) in a fresh Lua state",
                      static_cast<unsigned long>(gen), path.c_str());
            startedProcessScript(gen);
            return;
        }
    } catch (const std::bad_alloc&) {
        error = "out of memory";
    }
    if (gen != g_failedGeneration) g_failures = 0;
    g_failedGeneration = gen;
    ++g_failures;
    const int64_t delay = reloadRetryDelayMs(g_failures);
    g_nextRetryMs = now + delay;
    const std::string why = firstLine(error);
    LM_ERR(
        "lua: cannot switch to script generation %lu, generation %lu keeps running "
        "(attempt %u, next in %ld ms): %s",
        static_cast<unsigned long>(gen), static_cast<unsigned long>(g_running), g_failures,
        static_cast<long>(delay), why.c_str());
    recordProcessFailure(slot, gen, g_failures, timer::wallMs() + delay, why);
}

}  // namespace osprey::lua
