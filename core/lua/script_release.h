// The routing script as published to every process, in shm: a generation number, the path and
// a copy of the text that was checked, the outcome of the last reload, and per process slot the
// generation that process runs (or why it could not switch). The copy of the text, not only the
// path, is what processes load: a file edited again after `reload` was checked can never reach a
// worker unchecked, every process runs byte for byte the same script, and a worker the master
// restarts after a crash loads the published generation too, not whatever the file holds now.
// docs/reload.md describes the whole reload.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/proc/rank.h"

namespace osprey::lua {

// A consistent snapshot of the published script and of every process that runs Lua, for the
// RPC methods (app_lua.list, core.psx) and logs.
struct ScriptStatus {
    struct Process {
        unsigned slot = 0;  // core/proc/process_table.h's slot ...
        int pid = 0;        // ... and what the process table says of it
        std::string name;   // "sip#0"
        proc::Rank rank = proc::Rank::Master;
        uint64_t generation = 0;        // running
        uint64_t failedGeneration = 0;  // the newer one it could not load yet; 0 = none
        uint32_t failures = 0;          // failed attempts at failedGeneration so far
        int64_t changedMs = 0;          // wall clock of the last switch (or the start)
        int64_t nextRetryMs = 0;        // wall clock of the next attempt (when failures > 0)
        std::string error;              // why the last attempt failed
    };
    uint64_t generation = 0;  // published; 1 is the script of the start-up
    std::string path;
    int64_t publishedMs = 0;
    uint64_t reloads = 0;      // reloads that published a new generation
    uint64_t refused = 0;      // reloads refused by the check
    int64_t lastReloadMs = 0;  // the last reload attempt, either outcome; 0 = none yet
    bool lastReloadOk = true;
    std::string lastError;           // "script:line: message" of the last refused reload
    std::vector<Process> processes;  // only slots that run Lua
};

// Master, before fork. False when shm is exhausted.
bool createScriptRelease();
void destroyScriptRelease();
bool scriptReleaseReady();

// Stores a copy of path and text in shm and makes it generation n+1 (returned in *generation).
// False (nothing changed) when shm cannot hold the copy.
bool publishScript(std::string_view path, std::string_view text, uint64_t* generation);
// The published generation; one atomic load (0 before the first publish).
uint64_t publishedGeneration() noexcept;
// Copies the published script out of shm (into this process's heap).
bool copyPublishedScript(std::string* path, std::string* text, uint64_t* generation);
// The outcome of a reload attempt (publishScript already counts the successful ones).
void recordRefusedReload(std::string_view error);

// This process's row (written only by the process itself).
void recordProcessGeneration(unsigned slot, uint64_t generation);
void recordProcessFailure(unsigned slot, uint64_t generation, uint32_t failures,
                          int64_t nextRetryMs, std::string_view error);
void clearProcessRow(unsigned slot);  // the process stops running Lua
uint64_t processGeneration(unsigned slot);

ScriptStatus scriptStatus();

}  // namespace osprey::lua
