// One Lua state running the routing script (docs/design.md §5): the KSR table built from the core's
// and the loaded modules' descriptions, the script's chunk executed once, then route functions
// (ksr_request_route, ksr_reply_route, failure routes named by tm) called per message with the
// message's Ctx. KSR.x.exit()/drop() stop a route from any depth; a runtime error is logged with
// script:line and a traceback and reported as RouteStatus::Error, and the next call works as
// before. Memory is capped per state (see lua_memory.h); when a call leaves the state above the
// cap, the state is rebuilt from the script text read at creation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/lua/ctx.h"
#include "core/lua/lua_memory.h"

struct lua_State;

namespace osprey::module {
struct ModuleExport;
}

namespace osprey::lua {

enum class RouteStatus : uint8_t {
    Ok,       // the route function returned
    Exit,     // KSR.x.exit(): stopped on purpose, actions already taken stay taken
    Drop,     // KSR.x.drop(): stopped, and ctx.dropped is set (nothing may be sent)
    Error,    // runtime error, logged; the caller drops the message or answers 500
    NoRoute,  // the script defines no such function
};

const char* routeStatusName(RouteStatus s);

// The whole script file; false with *error = "cannot open/read Lua script <path>: why".
bool readScriptFile(const std::string& path, std::string* text, std::string* error);

inline constexpr size_t kDefaultMemoryLimit = 64u << 20;

struct EngineOptions {
    std::string scriptPath;
    size_t memoryLimit = kDefaultMemoryLimit;  // bytes; 0 = no cap
    bool requireRequestRoute = true;           // ksr_request_route must be defined
    bool jit = true;                           // false: LuaJIT's interpreter only
};

class Engine {
public:
    // Reads and runs the script. The exports (core built-ins first, then modules) must outlive
    // the engine: their trampolines live in the module .so files.
    static std::unique_ptr<Engine> create(const EngineOptions& options,
                                          std::span<const module::ModuleExport* const> exports,
                                          std::string* error);
    // The same from script text already in hand (a published generation, core/lua/
    // script_reload.h); options.scriptPath names the chunk in errors ("path:line: ...").
    static std::unique_ptr<Engine> createFromText(
        const EngineOptions& options, std::string text,
        std::span<const module::ModuleExport* const> exports, std::string* error);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Calls the global function `function` with no arguments; ctx is what Ctx& exports see.
    RouteStatus run(const char* function, Ctx& ctx) noexcept;
    bool hasFunction(const char* function) noexcept;
    // Calls a route from inside a running one (tm's branch route, run from t_relay): ctx is
    // current for its duration, then the outer route's is again. Errors are logged without a
    // traceback and the state is not rebuilt here (the outer call settles memory). Outside a
    // route it is run().
    RouteStatus runNested(const char* function, Ctx& ctx) noexcept;

    // Re-reads the script file and loads it into a new state; the current state keeps serving
    // until the new one has loaded, and stays if loading fails (app_lua.reload). Not from
    // inside a route.
    bool reload(std::string* error);
    // Loads `text` (named `path`) into a brand-new state and, only when that succeeded, closes
    // the old one: nothing of the old script (globals, upvalues, loaded chunks) survives, and a
    // failure leaves the old state serving. Not from inside a route.
    bool replaceScript(const std::string& path, std::string text, std::string* error);
    const std::string& scriptPath() const noexcept { return options_.scriptPath; }

    // The last runtime error (message and traceback), empty if none yet.
    std::string_view lastError() const noexcept { return {lastError_, lastErrorLen_}; }
    // The current state's accounting; refused/overLimit/peak accumulate over rebuilds.
    const LuaMemory& memory() const noexcept { return *memory_; }
    uint64_t rebuilds() const noexcept { return rebuilds_; }
    uint64_t reloads() const noexcept { return reloads_; }
    lua_State* state() noexcept { return L_; }

private:
    Engine() = default;
    // Loads text into a fresh state and, on success, replaces the current one with it.
    bool build(const std::string& path, const std::string& text, std::string* error);
    void closeState() noexcept;
    void setLastError(std::string_view text) noexcept;

    EngineOptions options_;
    std::vector<const module::ModuleExport*> exports_;
    std::string script_;  // the script text, kept to rebuild the state without touching disk
    lua_State* L_ = nullptr;
    std::unique_ptr<LuaMemory> memory_ = std::make_unique<LuaMemory>();
    CallState callState_;
    uint64_t reloads_ = 0;
    uint64_t rebuilds_ = 0;
    char lastError_[2048] = {};
    size_t lastErrorLen_ = 0;
};

}  // namespace osprey::lua
