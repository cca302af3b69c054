// The command line, with Kamailio's flags (docs/design.md §7). Values given here override the
// config file's.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace osprey::app {

struct Options {
    std::string configFile;            // -f (default: etc/osprey.cfg of the source tree if present)
    bool checkOnly = false;            // -c
    bool foreground = false;           // -D
    bool logStderr = false;            // -E
    std::optional<unsigned> children;  // -n
    std::optional<size_t> shmMiB;      // -m
    std::optional<size_t> pkgMiB;      // -M
    std::optional<log::Level> logLevel;      // -d LEVEL (also --log-level)
    std::string pidFile;                     // -P
    std::string modulesPath;                 // -L
    std::vector<config::ListenAddr> listen;  // -l (replace the file's listen list)
};

enum class Action { Run, Version, Help, Error };

// Parses argv. On Action::Error, *error says what is wrong (for "osprey: ...").
Action parseOptions(int argc, const char* const* argv, Options& out, std::string* error);

const char* usageText();

// Applies the command-line overrides onto the loaded config.
void applyOptions(const Options& opts, config::Config& cfg);

}  // namespace osprey::app
