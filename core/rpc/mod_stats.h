// mod.stats (Kamailio's name): memory in use per module and allocation site, from the
// allocators' own per-fragment records. Those exist in the debug allocators only (make
// MEMMNG=qm or MEMDBG=1); other builds answer that they are needed. shm is the shared heap;
// pkg is the control process's own private heap (each process has its own).
//
//   mod.stats all all     ->  [{Module: "tm", shm: {"newCell(41)": 2048, ..., Total: ...},
//                               pkg: {...}}, ...]
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/rpc/method.h"

namespace osprey::rpc {

std::span<const Method> modStatsMethods();

// One line of the allocators' live-fragment report, parsed.
struct SiteBytes {
    std::string module;  // "tm" for modules/tm/..., "core" otherwise
    std::string site;    // "function(line)"
    uint64_t bytes = 0;
};
// Parses a report (mem/debug/live_report.h); false when it is the "needs a debug allocator"
// line (its text in *why).
bool parseLiveReport(std::string_view report, std::vector<SiteBytes>* out, std::string* why);

}  // namespace osprey::rpc
