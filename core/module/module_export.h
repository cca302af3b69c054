// The one declarative description a module gives of itself (docs/design.md §5). A module defines it
// once, at namespace scope, with designated initializers:
//
//     OSPREY_MODULE_EXPORT = {
//         .name = "maxfwd",
//         .params = kParams,          // constexpr module::ParamSpec[]
//         .functions = kFunctions,    // constexpr lua::FunctionSpec[] (lua::fn<&f>("f"))
//         .rpc = kRpc,                // constexpr rpc::Method[] (rpc::method<&f>("m.f", ...))
//         .init = &modInit,
//     };
//
// The loader finds it with dlsym(kExportSymbol); the core's own KSR functions are described the
// same way (a built-in "core" description), so one mechanism builds the whole KSR table.
#pragma once
#include <cstdint>
#include <span>

#include "core/lua/function_spec.h"
#include "core/module/abi.h"
#include "core/module/param_spec.h"
#include "core/proc/rank.h"
#include "core/rpc/method.h"

namespace osprey::route {
struct MsgExtension;
}

namespace osprey::module {

struct ModuleExport {
    uint32_t abi = kAbiVersion;           // filled in the module's own build
    const char* flavour = kBuildFlavour;  // likewise
    const char* name = nullptr;           // must equal the file name (<name>.so)
    const char* version = "";
    std::span<const char* const> deps = {};  // modules that must be loaded (and init) first
    std::span<const ParamSpec> params = {};
    std::span<const lua::FunctionSpec> functions = {};
    std::span<const rpc::Method> rpc = {};  // rpc::method<&f>(...) (core/rpc/method.h)
    const void* api = nullptr;              // for other modules, through the module's api.h
    // What the module plugs into every message: per-message data, a reply handler
    // (core/route/msg_extension.h).
    const route::MsgExtension* msgExtension = nullptr;
    bool (*init)() = nullptr;                 // master, after params, before fork
    bool (*childInit)(proc::Rank) = nullptr;  // every process, after fork
    void (*destroy)() = nullptr;              // master at shutdown, reverse dependency order
};

}  // namespace osprey::module

#define OSPREY_MODULE_EXPORT                          \
    extern "C" __attribute__((visibility("default"))) \
    const ::osprey::module::ModuleExport osprey_module
