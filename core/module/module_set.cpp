// Module loading (dlopen), validation and the init/childInit/destroy lifecycle.
#include "core/module/module_set.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/module/dep_order.h"
#include "core/module/param_apply.h"

namespace osprey::module {

namespace {

// Module names become file names: keep them to what Kamailio's names use.
bool validName(std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string located(const config::ModuleSpec& s) {
    std::string w = s.where.text();
    return w.empty() ? std::string() : w + ": ";
}

// Opens one module and checks its description; on error returns nullptr and appends why.
void* openModule(const config::ModuleSpec& spec, const std::string& dir, std::string* path,
                 const ModuleExport** desc, std::vector<std::string>* errors) {
    const std::string at = located(spec);
    if (!validName(spec.name)) {
        errors->push_back(at + "invalid module name '" + spec.name +
                          "' (lower-case letters, digits and '_')");
        return nullptr;
    }
    const std::string nested = dir + "/" + spec.name + "/" + spec.name + ".so";
    const std::string flat = dir + "/" + spec.name + ".so";
    if (access(nested.c_str(), F_OK) == 0)
        *path = nested;
    else if (access(flat.c_str(), F_OK) == 0)
        *path = flat;
    else {
        errors->push_back(at + "unknown module '" + spec.name + "': no " + spec.name + ".so in " +
                          dir);
        return nullptr;
    }
    void* h = dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char* why = dlerror();
        errors->push_back(at + "module '" + spec.name + "': cannot load " + *path + ": " +
                          (why != nullptr ? why : "unknown dlopen error"));
        return nullptr;
    }
    const auto* d = static_cast<const ModuleExport*>(dlsym(h, kExportSymbol));
    std::string bad;
    if (d == nullptr) {
        bad = "has no '" + std::string(kExportSymbol) + "' description (not an osprey module?)";
    } else if (d->abi != kAbiVersion) {  // checked before any other field: layouts may differ
        bad = "was built for module ABI " + std::to_string(d->abi) + ", this osprey has " +
              std::to_string(kAbiVersion) + ": rebuild it";
    } else if (d->flavour == nullptr || std::strcmp(d->flavour, kBuildFlavour) != 0) {
        bad = "was built as " + std::string(d->flavour != nullptr ? d->flavour : "?") +
              ", this osprey is " + kBuildFlavour + ": rebuild it";
    } else if (d->name == nullptr || spec.name != d->name) {
        bad = "describes itself as '" + std::string(d->name != nullptr ? d->name : "") +
              "', not '" + spec.name + "'";
    }
    if (!bad.empty()) {
        errors->push_back(at + "module '" + spec.name + "' (" + *path + ") " + bad);
        dlclose(h);
        return nullptr;
    }
    *desc = d;
    return h;
}

}  // namespace

ModuleSet::~ModuleSet() {
    unloadAll();
}

void ModuleSet::unloadAll() {
    for (LoadedModule& m : modules_) {
        if (m.handle != nullptr) dlclose(m.handle);
    }
    modules_.clear();
}

bool ModuleSet::load(std::span<const config::ModuleSpec> specs, const std::string& dir,
                     std::vector<std::string>* errors) {
    unloadAll();
    const size_t before = errors->size();
    std::vector<LoadedModule> loaded;
    std::vector<const ModuleExport*> descs;
    std::vector<const config::ModuleSpec*> descSpecs;  // the entry of each of descs
    for (size_t i = 0; i < specs.size(); ++i) {
        const config::ModuleSpec& spec = specs[i];
        const bool dup =
            std::any_of(specs.begin(), specs.begin() + i,
                        [&](const config::ModuleSpec& s) { return s.name == spec.name; });
        if (dup) {
            errors->push_back(located(spec) + "module '" + spec.name + "' is listed twice");
            continue;
        }
        LoadedModule m;
        m.handle = openModule(spec, dir, &m.path, &m.desc, errors);
        if (m.handle == nullptr) continue;
        applyParams(*m.desc, spec.params, errors);
        descs.push_back(m.desc);
        descSpecs.push_back(&spec);
        loaded.push_back(std::move(m));
    }
    // Dependencies missing from the list, named at the entry that needs them (also after
    // other errors, so one run reports every problem; a listed module that failed to load
    // has its own error already).
    for (size_t i = 0; i < descs.size(); ++i) {
        for (const char* dep : descs[i]->deps) {
            const bool listed =
                std::any_of(specs.begin(), specs.end(),
                            [&](const config::ModuleSpec& s) { return s.name == dep; });
            if (!listed)
                errors->push_back(located(*descSpecs[i]) + missingDependency(descs[i]->name, dep));
        }
    }
    std::vector<size_t> order;
    if (errors->size() == before) dependencyOrder(descs, &order, errors);
    if (errors->size() != before) {
        for (LoadedModule& m : loaded) dlclose(m.handle);
        return false;
    }
    for (size_t i : order) modules_.push_back(std::move(loaded[i]));
    return true;
}

bool ModuleSet::initAll(std::string* error) {
    for (LoadedModule& m : modules_) {
        if (m.initDone) continue;
        if (m.desc->init != nullptr && !m.desc->init()) {
            *error = "module '" + std::string(m.desc->name) + "': init failed";
            return false;
        }
        m.initDone = true;
    }
    return true;
}

bool ModuleSet::childInitAll(proc::Rank rank, std::string* error) {
    for (const LoadedModule& m : modules_) {
        if (m.desc->childInit != nullptr && !m.desc->childInit(rank)) {
            *error = "module '" + std::string(m.desc->name) + "': child init failed";
            return false;
        }
    }
    return true;
}

void ModuleSet::destroyAll() {
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
        if (!it->initDone) continue;
        it->initDone = false;
        if (it->desc->destroy != nullptr) it->desc->destroy();
    }
}

std::vector<const ModuleExport*> ModuleSet::exports() const {
    std::vector<const ModuleExport*> out;
    out.reserve(modules_.size());
    for (const LoadedModule& m : modules_) out.push_back(m.desc);
    return out;
}

const ModuleExport* ModuleSet::find(std::string_view name) const {
    for (const LoadedModule& m : modules_) {
        if (name == m.desc->name) return m.desc;
    }
    return nullptr;
}

ModuleSet& loadedModules() {
    static ModuleSet* set = new ModuleSet();  // never destroyed: children exit without dlclose
    return *set;
}

}  // namespace osprey::module
