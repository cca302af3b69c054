// The parsed configuration (docs/design.md §7): global settings, listen addresses and the list of
// modules with their typed parameters. Built once in the master at start-up (by
// loadConfigFile, then overridden by command-line flags) and read by every part of the core;
// children inherit it through fork.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config/listen_addr.h"
#include "core/log/log.h"

namespace osprey::config {

// A module parameter or an extra global setting as written in the file. The module loader
// validates the type against what the module declares.
using ParamValue = std::variant<int64_t, std::string, bool, double>;

enum class ParamType : uint8_t { Int, String, Bool, Float };
ParamType paramType(const ParamValue& v);
const char* paramTypeName(ParamType t);  // "integer", "string", "boolean", "float"
std::string paramValueText(const ParamValue& v);

// Where a setting came from, for error messages ("file:line: ...").
struct SourceLoc {
    std::string file;
    int line = 0;
    std::string text() const;  // "file:line" (just "file" when the line is unknown)
};

struct Param {
    std::string name;
    ParamValue value;
    SourceLoc where;
};

// A group of settings a part of the core declared (declareGroup), e.g. `tls = { ... };`:
// its scalars in file order, and its nested groups (a named group, or each group of a list,
// which then all carry the list's name).
struct ConfigGroup {
    std::string name;
    SourceLoc where;
    std::vector<Param> params;
    std::vector<ConfigGroup> groups;
    const Param* param(std::string_view name) const;
};

struct ModuleSpec {
    std::string name;
    std::vector<Param> params;  // in file order
    SourceLoc where;
    const Param* param(std::string_view name) const;
};

struct Config {
    std::string file;  // absolute path of the config file ("" when built from defaults)
    std::string dir;   // its directory; relative paths in the file are relative to it
    std::vector<ListenAddr> listen;
    std::vector<std::string> aliases;
    unsigned children = 4;
    unsigned tcpChildren = 4;
    size_t shmMiB = 64;
    size_t pkgMiB = 8;
    log::Level logLevel = log::Level::Notice;
    std::string script;       // absolute, "" when not configured
    std::string modulesPath;  // absolute; the build's modules directory by default
    std::vector<ModuleSpec> modules;
    // Global settings declared by other parts of the core (declareSetting), as found.
    std::vector<Param> extra;
    // Declared groups (declareGroup), as found.
    std::vector<ConfigGroup> groups;
    // Source line of each built-in setting that was present, for later semantic errors.
    std::vector<std::pair<std::string, SourceLoc>> locations;

    const Param* setting(std::string_view name) const;  // an extra setting, or nullptr
    const ModuleSpec* module(std::string_view name) const;
    const ConfigGroup* group(std::string_view name) const;  // a declared group, or nullptr
    SourceLoc where(std::string_view name) const;  // of a built-in setting; file only if absent
};

// Limits checked at load time (and for the command-line overrides).
inline constexpr unsigned kMaxChildren = 128;
inline constexpr size_t kMaxShmMiB = 64 * 1024;
inline constexpr size_t kMaxPkgMiB = 4 * 1024;

struct ConfigError {
    SourceLoc where;
    std::string message;
    std::string text() const;  // "file:line: message"
};

// Declares a global setting a part of the core reads from Config::extra, so the loader
// accepts it (unknown settings are errors: a typo must not pass silently). Call before the
// config is loaded, e.g. from a static initializer.
void declareSetting(std::string_view name, ParamType type);

// Declares a group setting (`name = { ... };`) a part of the core reads from Config::groups;
// the loader keeps its contents as written and the declaring part checks them.
void declareGroup(std::string_view name);

// Reads and checks the file. Returns false with err filled on the first problem found.
bool loadConfigFile(const std::string& path, Config& out, ConfigError& err);
// Same from text (tests, tools): `name` is used in messages, `baseDir` for relative paths.
bool loadConfigString(const std::string& text, const std::string& name, const std::string& baseDir,
                      Config& out, ConfigError& err);

// The configuration of this run, set once by main before forking.
const Config& current();
void setCurrent(Config cfg);

}  // namespace osprey::config
