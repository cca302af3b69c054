// The per-process engine instance.
#include "core/lua/process_engine.h"

#include <memory>
#include <vector>

#include "core/lua/builtin_exports.h"

namespace osprey::lua {

namespace {
std::unique_ptr<Engine> g_engine;
}

bool startProcessEngine(const EngineOptions& options,
                        std::span<const module::ModuleExport* const> modules, std::string* error) {
    std::vector<const module::ModuleExport*> all(builtinExports().begin(), builtinExports().end());
    all.insert(all.end(), modules.begin(), modules.end());
    auto e = Engine::create(options, all, error);
    if (!e) return false;
    g_engine = std::move(e);
    return true;
}

bool startProcessEngine(const EngineOptions& options, std::string text,
                        std::span<const module::ModuleExport* const> modules, std::string* error) {
    std::vector<const module::ModuleExport*> all(builtinExports().begin(), builtinExports().end());
    all.insert(all.end(), modules.begin(), modules.end());
    auto e = Engine::createFromText(options, std::move(text), all, error);
    if (!e) return false;
    g_engine = std::move(e);
    return true;
}

Engine* processEngine() {
    return g_engine.get();
}

void stopProcessEngine() {
    g_engine.reset();
}

}  // namespace osprey::lua
