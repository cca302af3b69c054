// Dependency ordering: depth-first, visiting modules in config order.
#include "core/module/dep_order.h"

#include <cstring>

#include "core/module/module_export.h"

namespace osprey::module {

namespace {

enum class Mark : uint8_t { None, Visiting, Done };

struct Sorter {
    std::span<const ModuleExport* const> mods;
    std::vector<Mark> marks;
    std::vector<size_t> path;  // modules being visited, for the cycle message
    std::vector<size_t>* order;
    std::vector<std::string>* errors;

    long find(const char* name) const {
        for (size_t i = 0; i < mods.size(); ++i) {
            if (std::strcmp(mods[i]->name, name) == 0) return static_cast<long>(i);
        }
        return -1;
    }

    bool visit(size_t i) {
        if (marks[i] == Mark::Done) return true;
        if (marks[i] == Mark::Visiting) {
            std::string cycle;
            bool in = false;
            for (size_t p : path) {
                if (p == i) in = true;
                if (in) cycle += std::string(mods[p]->name) + " -> ";
            }
            errors->push_back("module dependency cycle: " + cycle + mods[i]->name);
            return false;
        }
        marks[i] = Mark::Visiting;
        path.push_back(i);
        bool ok = true;
        for (const char* dep : mods[i]->deps) {
            const long d = find(dep);
            if (d < 0) {
                errors->push_back(missingDependency(mods[i]->name, dep));
                ok = false;
                continue;
            }
            if (!visit(static_cast<size_t>(d))) {
                ok = false;
                break;
            }
        }
        path.pop_back();
        marks[i] = Mark::Done;
        if (ok) order->push_back(i);
        return ok;
    }
};

}  // namespace

std::string missingDependency(const char* module, const char* dep) {
    return "module '" + std::string(module) + "' needs module '" + dep +
           "', which is not loaded (add it to `modules`)";
}

bool dependencyOrder(std::span<const ModuleExport* const> mods, std::vector<size_t>* order,
                     std::vector<std::string>* errors) {
    Sorter s{mods, std::vector<Mark>(mods.size(), Mark::None), {}, order, errors};
    order->clear();
    bool ok = true;
    for (size_t i = 0; i < mods.size(); ++i) {
        if (!s.visit(i)) ok = false;
    }
    return ok;
}

}  // namespace osprey::module
