// Config helpers: value types, lookups, the declared extra settings and the current config.
#include "core/config/config.h"

#include <cstdio>

#include "core/config/declared_settings.h"

namespace osprey::config {

ParamType paramType(const ParamValue& v) {
    switch (v.index()) {
        case 0:
            return ParamType::Int;
        case 1:
            return ParamType::String;
        case 2:
            return ParamType::Bool;
        default:
            return ParamType::Float;
    }
}

const char* paramTypeName(ParamType t) {
    switch (t) {
        case ParamType::Int:
            return "integer";
        case ParamType::String:
            return "string";
        case ParamType::Bool:
            return "boolean";
        case ParamType::Float:
            return "float";
    }
    return "?";
}

std::string paramValueText(const ParamValue& v) {
    if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    if (const auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    char buf[64];
    snprintf(buf, sizeof buf, "%g", std::get<double>(v));
    return buf;
}

std::string SourceLoc::text() const {
    if (line <= 0) return file;
    return file + ":" + std::to_string(line);
}

std::string ConfigError::text() const {
    std::string w = where.text();
    return w.empty() ? message : w + ": " + message;
}

const Param* ModuleSpec::param(std::string_view n) const {
    for (const Param& p : params)
        if (p.name == n) return &p;
    return nullptr;
}

const Param* ConfigGroup::param(std::string_view n) const {
    for (const Param& p : params)
        if (p.name == n) return &p;
    return nullptr;
}

const ConfigGroup* Config::group(std::string_view n) const {
    for (const ConfigGroup& g : groups)
        if (g.name == n) return &g;
    return nullptr;
}

const Param* Config::setting(std::string_view n) const {
    for (const Param& p : extra)
        if (p.name == n) return &p;
    return nullptr;
}

const ModuleSpec* Config::module(std::string_view n) const {
    for (const ModuleSpec& m : modules)
        if (m.name == n) return &m;
    return nullptr;
}

SourceLoc Config::where(std::string_view n) const {
    for (const auto& [name, loc] : locations)
        if (name == n) return loc;
    return SourceLoc{file, 0};
}

std::vector<DeclaredSetting>& declaredSettings() {
    static std::vector<DeclaredSetting> settings;
    return settings;
}

void declareSetting(std::string_view name, ParamType type) {
    for (DeclaredSetting& d : declaredSettings()) {
        if (d.name == name) {
            d.type = type;
            return;
        }
    }
    declaredSettings().push_back({std::string(name), type});
}

std::vector<std::string>& declaredGroups() {
    static std::vector<std::string> groups;
    return groups;
}

void declareGroup(std::string_view name) {
    for (const std::string& g : declaredGroups())
        if (g == name) return;
    declaredGroups().emplace_back(name);
}

namespace {
Config& currentStorage() {
    static Config cfg;
    return cfg;
}
}  // namespace

const Config& current() {
    return currentStorage();
}

void setCurrent(Config cfg) {
    currentStorage() = std::move(cfg);
}

}  // namespace osprey::config
