// The modules of this run (docs/design.md §5): loaded in the master from the config's `modules`
// list, parameters applied, ordered by dependencies; then init in the master before fork, childInit
// in every process after fork, destroy in the master at shutdown. Children inherit the set
// through fork.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/module/module_export.h"

namespace osprey::module {

struct LoadedModule {
    const ModuleExport* desc = nullptr;
    void* handle = nullptr;  // from dlopen
    std::string path;
    bool initDone = false;
};

class ModuleSet {
public:
    ModuleSet() = default;
    ~ModuleSet();  // dlcloses; does not call destroy (children exit without it)
    ModuleSet(const ModuleSet&) = delete;
    ModuleSet& operator=(const ModuleSet&) = delete;

    // Loads every listed module from dir (dir/<name>/<name>.so, else dir/<name>.so), checks its
    // ABI and build flavour, applies its parameters and orders the set by dependencies. Collects
    // every error it finds (unknown module, dlopen failure, ABI mismatch, bad parameter, missing
    // dependency, cycle); on any error nothing stays loaded and false is returned.
    bool load(std::span<const config::ModuleSpec> specs, const std::string& dir,
              std::vector<std::string>* errors);

    // Runs init in dependency order; stops at the first failure (error names the module).
    bool initAll(std::string* error);
    // Runs childInit(rank) in dependency order; stops at the first failure.
    bool childInitAll(proc::Rank rank, std::string* error);
    // Runs destroy, in reverse order, for every module whose init succeeded. Idempotent.
    void destroyAll();

    // In dependency order.
    std::span<const LoadedModule> modules() const { return modules_; }
    std::vector<const ModuleExport*> exports() const;
    const ModuleExport* find(std::string_view name) const;

    // A module's API for other modules (through its api.h): nullptr when not loaded.
    template <class Api>
    const Api* api(std::string_view name) const {
        const ModuleExport* m = find(name);
        return m != nullptr ? static_cast<const Api*>(m->api) : nullptr;
    }

private:
    void unloadAll();
    std::vector<LoadedModule> modules_;
};

// The set the master loads and every process inherits.
ModuleSet& loadedModules();

}  // namespace osprey::module
