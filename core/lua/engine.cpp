// Lua engine: state lifecycle, protected route calls, error and memory handling.
#include "core/lua/engine.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <lua.hpp>

#include "core/log/log.h"
#include "core/lua/bad_call.h"
#include "core/lua/ksr_table.h"
#include "core/module/module_export.h"

namespace osprey::lua {

namespace {

// The message handler of every protected call: the stop token (a light userdata) passes
// through untouched; anything else becomes "script:line: message" plus a traceback.
int messageHandler(lua_State* L) {
    if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) return 1;
    const char* msg = lua_tostring(L, 1);
    if (msg == nullptr) {
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

// An error LuaJIT cannot unwind (outside any protected call, or out of JIT-compiled code: see
// lua_memory.h). LuaJIT would exit(); aborting instead leaves a backtrace and tells the master
// that the worker crashed.
int panicHandler(lua_State* L) {
    const char* msg = lua_tostring(L, -1);
    LM_ERR("lua: unrecoverable Lua error, aborting the process: %s", msg != nullptr ? msg : "?");
    std::abort();
}

struct BuildArgs {
    CallState* cs;
    std::span<const module::ModuleExport* const> exports;
    int handlerRef;
};

int buildProtected(lua_State* L) {
    auto* args = static_cast<BuildArgs*>(lua_touserdata(L, 1));
    luaL_openlibs(L);
    pushKsrTable(L, args->cs, args->exports);
    lua_setglobal(L, "KSR");
    lua_pushcfunction(L, messageHandler);
    args->handlerRef = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

}  // namespace

bool readScriptFile(const std::string& path, std::string* out, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot open Lua script " + path + ": " + std::strerror(errno);
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        *error = "cannot read Lua script " + path;
        return false;
    }
    *out = ss.str();
    return true;
}

const char* routeStatusName(RouteStatus s) {
    switch (s) {
        case RouteStatus::Ok:
            return "ok";
        case RouteStatus::Exit:
            return "exit";
        case RouteStatus::Drop:
            return "drop";
        case RouteStatus::Error:
            return "error";
        case RouteStatus::NoRoute:
            return "no route";
    }
    return "?";
}

std::unique_ptr<Engine> Engine::create(const EngineOptions& options,
                                       std::span<const module::ModuleExport* const> exports,
                                       std::string* error) {
    std::string text;
    if (!readScriptFile(options.scriptPath, &text, error)) return nullptr;
    return createFromText(options, std::move(text), exports, error);
}

std::unique_ptr<Engine> Engine::createFromText(const EngineOptions& options, std::string text,
                                               std::span<const module::ModuleExport* const> exports,
                                               std::string* error) {
    std::unique_ptr<Engine> e(new Engine());
    e->callState_.logError = &detail::logAtCaller;
    e->options_ = options;
    e->exports_.assign(exports.begin(), exports.end());
    if (!e->build(options.scriptPath, text, error)) return nullptr;
    e->script_ = std::move(text);
    return e;
}

Engine::~Engine() {
    closeState();
}

void Engine::closeState() noexcept {
    if (L_ == nullptr) return;
    memory_->enforce = false;
    lua_close(L_);
    L_ = nullptr;
    memory_->L = nullptr;
    memory_->hookArmed = false;
    memory_->raising = false;
}

namespace {

void closeNew(lua_State* L, LuaMemory& m) {
    m.enforce = false;
    lua_close(L);
}

}  // namespace

bool Engine::build(const std::string& path, const std::string& text, std::string* error) {
    auto mem = std::make_unique<LuaMemory>();
    mem->limit = options_.memoryLimit;
    lua_State* L = lua_newstate(cappedAlloc, mem.get());
    if (L == nullptr) {
        // Non-GC64 LuaJIT builds refuse custom allocators; run uncapped rather than not at all.
        L = luaL_newstate();
        if (L == nullptr) {
            *error = "cannot create a Lua state";
            return false;
        }
        LM_WARN("lua: this LuaJIT does not accept a custom allocator; no memory cap");
    }
    mem->L = L;
    lua_atpanic(L, panicHandler);

    BuildArgs args{&callState_, exports_, LUA_NOREF};
    mem->enforce = true;
    int rc = lua_cpcall(L, buildProtected, &args);
    mem->enforce = false;
    if (rc != 0) {
        const char* msg = lua_tostring(L, -1);
        *error = std::string("building the KSR table: ") + (msg != nullptr ? msg : "no memory");
        closeNew(L, *mem);
        return false;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, args.handlerRef);  // stays at stack index 1
    // After luaL_openlibs: opening the jit library switches the JIT on.
    if (!options_.jit) luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);

    const std::string chunkName = "@" + path;
    mem->enforce = true;
    rc = luaL_loadbuffer(L, text.data(), text.size(), chunkName.c_str());
    if (rc == 0) rc = lua_pcall(L, 0, 0, 1);  // the script's top level defines the routes
    mem->enforce = false;
    if (settleAfterCall(*mem) || rc == LUA_ERRMEM) {
        *error = "Lua script " + path + ": memory limit of " + std::to_string(mem->limit >> 10) +
                 " KiB reached while loading";
        closeNew(L, *mem);
        return false;
    }
    if (rc != 0 && lua_type(L, -1) != LUA_TLIGHTUSERDATA) {  // KSR.x.exit() at top level is ok
        const char* msg = lua_tostring(L, -1);
        *error = msg != nullptr ? msg : "unknown Lua error";
        closeNew(L, *mem);
        return false;
    }
    lua_settop(L, 1);
    if (options_.requireRequestRoute) {
        lua_getglobal(L, "ksr_request_route");
        const bool defined = lua_isfunction(L, -1);
        lua_settop(L, 1);
        if (!defined) {
            *error = "Lua script " + path + " defines no function ksr_request_route";
            closeNew(L, *mem);
            return false;
        }
    }
    lua_gc(L, LUA_GCCOLLECT, 0);

    // Statistics are per engine, not per state.
    mem->refused = memory_->refused;
    mem->overLimit = memory_->overLimit;
    mem->peak = std::max(mem->peak, memory_->peak);
    closeState();
    L_ = L;
    memory_ = std::move(mem);
    return true;
}

bool Engine::reload(std::string* error) {
    std::string text;
    if (!readScriptFile(options_.scriptPath, &text, error)) return false;
    return replaceScript(options_.scriptPath, std::move(text), error);
}

bool Engine::replaceScript(const std::string& path, std::string text, std::string* error) {
    if (callState_.current != nullptr) {
        *error = "cannot reload the Lua script from inside a route";
        return false;
    }
    if (!build(path, text, error)) return false;
    options_.scriptPath = path;
    script_ = std::move(text);
    ++reloads_;
    return true;
}

bool Engine::hasFunction(const char* function) noexcept {
    if (L_ == nullptr) return false;
    lua_getglobal(L_, function);
    const bool is = lua_isfunction(L_, -1);
    lua_pop(L_, 1);
    return is;
}

void Engine::setLastError(std::string_view text) noexcept {
    lastErrorLen_ = std::min(text.size(), sizeof(lastError_) - 1);
    std::memcpy(lastError_, text.data(), lastErrorLen_);
    lastError_[lastErrorLen_] = '\0';
}

RouteStatus Engine::run(const char* function, Ctx& ctx) noexcept {
    if (L_ == nullptr) {
        setLastError("no Lua state (rebuilding it failed earlier)");
        return RouteStatus::Error;
    }
    if (callState_.current != nullptr) {
        setLastError("route called while another route is running");
        LM_ERR("lua: %s() called from inside a running route", function);
        return RouteStatus::Error;
    }
    lua_getglobal(L_, function);
    if (!lua_isfunction(L_, -1)) {
        lua_settop(L_, 1);
        return RouteStatus::NoRoute;
    }
    const uint64_t refusedBefore = memory_->refused;
    callState_.current = &ctx;
    memory_->enforce = true;
    const int rc = lua_pcall(L_, 0, 0, 1);
    memory_->enforce = false;
    callState_.current = nullptr;

    RouteStatus status = RouteStatus::Ok;
    if (rc != 0) {
        if (lua_touserdata(L_, -1) == &callState_) {
            status = ctx.dropped ? RouteStatus::Drop : RouteStatus::Exit;
        } else {
            status = RouteStatus::Error;
            size_t len = 0;
            const char* msg = lua_tolstring(L_, -1, &len);
            if (rc == LUA_ERRMEM || msg == nullptr) {
                msg = "not enough memory";
                len = std::strlen(msg);
            }
            setLastError(std::string_view(msg, len));
            LM_ERR("lua: error in %s(): %.*s", function, static_cast<int>(len), msg);
        }
    }
    lua_settop(L_, 1);
    if (settleAfterCall(*memory_) || memory_->refused != refusedBefore) {
        // What the script keeps alive is what filled the state: start over (closing it first,
        // so the two never hold memory together).
        LM_ERR("lua: memory limit of %zu KiB reached in %s(); rebuilding the Lua state",
               memory_->limit >> 10, function);
        ++rebuilds_;
        closeState();
        try {
            std::string err;
            if (!build(options_.scriptPath, script_, &err)) {
                LM_ERR("lua: rebuilding the Lua state failed: %s", err.c_str());
            }
        } catch (...) {  // bad_alloc from the private heap: keep the worker alive, stateless
            closeState();
            LM_ERR("lua: rebuilding the Lua state failed: out of memory");
        }
    }
    return status;
}

RouteStatus Engine::runNested(const char* function, Ctx& ctx) noexcept {
    if (callState_.current == nullptr) return run(function, ctx);
    lua_getglobal(L_, function);
    if (!lua_isfunction(L_, -1)) {
        lua_pop(L_, 1);
        return RouteStatus::NoRoute;
    }
    Ctx* outer = callState_.current;
    callState_.current = &ctx;
    const int rc = lua_pcall(L_, 0, 0, 0);
    callState_.current = outer;
    if (rc == 0) return RouteStatus::Ok;
    RouteStatus status;
    if (lua_touserdata(L_, -1) == &callState_) {
        status = ctx.dropped ? RouteStatus::Drop : RouteStatus::Exit;
    } else {
        status = RouteStatus::Error;
        size_t len = 0;
        const char* msg = lua_tolstring(L_, -1, &len);
        if (msg == nullptr) msg = "not enough memory";
        LM_ERR("lua: error in %s(): %s", function, msg);
    }
    lua_pop(L_, 1);
    return status;
}

}  // namespace osprey::lua
