#include "core/proc/process_kind.h"

#include <algorithm>

namespace osprey::proc {

namespace {
std::vector<ProcessKind>& kinds() {
    static std::vector<ProcessKind> k;
    return k;
}
}  // namespace

void declareProcesses(ProcessKind kind) {
    if (kind.name.empty()) kind.name = rankName(kind.rank);
    for (ProcessKind& k : kinds()) {
        if (k.rank == kind.rank && k.name == kind.name) {
            k = std::move(kind);
            return;
        }
    }
    kinds().push_back(std::move(kind));
}

void undeclareProcesses(Rank rank, const std::string& name) {
    std::string n = name.empty() ? rankName(rank) : name;
    auto& k = kinds();
    k.erase(std::remove_if(k.begin(), k.end(),
                           [&](const ProcessKind& p) { return p.rank == rank && p.name == n; }),
            k.end());
}

const std::vector<ProcessKind>& declaredProcesses() {
    return kinds();
}

}  // namespace osprey::proc
