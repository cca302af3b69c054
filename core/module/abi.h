// What a module .so and the binary loading it must agree on. A module records, in its
// description, the ABI version and the build flavour it was compiled with; the loader refuses
// a module whose record differs (layouts and inlined allocator code would not match).
#pragma once
#include <cstdint>

namespace osprey::module {

// Bump on any change to ModuleExport, ParamSpec, FunctionSpec, CallState or Ctx layout.
inline constexpr uint32_t kAbiVersion = 3;

#ifndef OSPREY_MEMMNG_NAME
#define OSPREY_MEMMNG_NAME "unknown"
#endif
#ifndef OSPREY_MEMDBG
#define OSPREY_MEMDBG 0
#endif
#ifndef OSPREY_BUILD_MODE
#define OSPREY_BUILD_MODE "unknown"
#endif
#define OSPREY_MODULE_STR2(x) #x
#define OSPREY_MODULE_STR(x) OSPREY_MODULE_STR2(x)

// e.g. "fm/memdbg=0/release": modules must be built with the same allocator and mode.
inline constexpr const char* kBuildFlavour =
    OSPREY_MEMMNG_NAME "/memdbg=" OSPREY_MODULE_STR(OSPREY_MEMDBG) "/" OSPREY_BUILD_MODE;

// The symbol every module exports its description under.
inline constexpr const char* kExportSymbol = "osprey_module";

}  // namespace osprey::module
