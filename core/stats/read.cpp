// Reading statistics: sums over the process rows, Kamailio's selectors, reset.
#include "core/stats/read.h"

#include "core/proc/process_table.h"

namespace osprey::stats {

namespace {

int64_t rowSum(uint16_t id) {
    int64_t sum = 0;
    const unsigned rows = tableRows();
    for (unsigned r = 0; r < rows; ++r) sum += rowValue(r, id);
    return sum;
}

// A slot's process, when the process table knows one alive there.
const proc::ProcessEntry* liveProcess(unsigned slot) {
    const proc::ProcessTable* t = proc::processTable();
    if (t == nullptr || slot >= proc::ProcessTable::kSlots) return nullptr;
    const proc::ProcessEntry& e = t->entries[slot];
    return e.pid.load(std::memory_order_relaxed) != 0 ? &e : nullptr;
}

// A dead process's PerProcess value is stale (the heap it measured is gone): only the live
// ones count. Without a process table (unit tests) every row counts.
std::vector<ProcessValue> perProcess(uint16_t id) {
    std::vector<ProcessValue> out;
    const unsigned rows = tableRows();
    const bool haveTable = proc::processTable() != nullptr && tableReady();
    for (unsigned r = 0; r < rows; ++r) {
        ProcessValue v;
        v.slot = r;
        v.value = rowValue(r, id);
        if (haveTable) {
            const proc::ProcessEntry* e = liveProcess(r);
            if (e == nullptr) continue;
            v.pid = e->pid.load(std::memory_order_relaxed);
            v.name = e->name;
        } else {
            v.name = r == 0 ? "master" : "slot" + std::to_string(r);
        }
        out.push_back(std::move(v));
    }
    return out;
}

Sample sampleOf(uint16_t id) {
    const StatInfo& info = statInfo(id);
    Sample s;
    s.group = info.group;
    s.name = info.name;
    s.help = info.help;
    s.kind = info.kind;
    s.resettable = info.resettable();
    if (info.kind == Kind::PerProcess) {
        s.perProcess = perProcess(id);
        for (const ProcessValue& v : s.perProcess) s.value += v.value;
    } else {
        s.value = value(id);
    }
    return s;
}

// Calls fn(id) for every statistic the selector names.
template <typename Fn>
void forEachSelected(std::string_view sel, Fn&& fn) {
    const unsigned n = statCount();
    if (sel == "all") {
        for (unsigned i = 1; i <= n; ++i) fn(static_cast<uint16_t>(i));
        return;
    }
    if (!sel.empty() && sel.back() == ':') {
        sel.remove_suffix(1);
        for (unsigned i = 1; i <= n; ++i) {
            if (statInfo(static_cast<uint16_t>(i)).groupView() == sel) fn(static_cast<uint16_t>(i));
        }
        return;
    }
    const size_t sep = sel.find_first_of(":.");
    if (sep != std::string_view::npos) {
        if (const uint16_t id = findStat(sel.substr(0, sep), sel.substr(sep + 1)); id != 0) {
            fn(id);
            return;
        }
    }
    for (unsigned i = 1; i <= n; ++i) {
        if (statInfo(static_cast<uint16_t>(i)).nameView() == sel) {
            fn(static_cast<uint16_t>(i));
            return;
        }
    }
}

}  // namespace

int64_t value(uint16_t id) {
    if (id == 0 || id > statCount()) return 0;
    const StatInfo& info = statInfo(id);
    switch (info.kind) {
        case Kind::Counter:
            return rowSum(id) - resetBase(id);
        case Kind::Gauge:
            return rowSum(id);
        case Kind::Level:
            return rowValue(0, id);
        case Kind::PerProcess: {
            int64_t sum = 0;
            for (const ProcessValue& v : perProcess(id)) sum += v.value;
            return sum;
        }
        case Kind::Func:
            return info.fn(info.arg);
    }
    return 0;
}

int64_t total(Counter c) {
    return c.id == 0 ? 0 : rowSum(c.id);
}

Snapshot select(std::string_view selector) {
    Snapshot out;
    forEachSelected(selector, [&](uint16_t id) { out.push_back(sampleOf(id)); });
    return out;
}

unsigned reset(std::string_view selector) {
    unsigned n = 0;
    forEachSelected(selector, [&](uint16_t id) {
        if (!statInfo(id).resettable()) return;
        setResetBase(id, rowSum(id));
        ++n;
    });
    return n;
}

std::string kamailioLine(const Sample& s) {
    return s.group + ":" + s.name + " = " + std::to_string(s.value);
}

std::string fetchKey(const Sample& s) {
    return s.group + "." + s.name;
}

std::vector<std::string> getStatistics(std::span<const std::string_view> selectors) {
    std::vector<std::string> lines;
    for (std::string_view sel : selectors) {
        for (const Sample& s : select(sel)) lines.push_back(kamailioLine(s));
    }
    return lines;
}

std::vector<std::pair<std::string, int64_t>> fetch(std::span<const std::string_view> selectors) {
    std::vector<std::pair<std::string, int64_t>> members;
    for (std::string_view sel : selectors) {
        for (const Sample& s : select(sel)) {
            std::string key = fetchKey(s);
            bool seen = false;
            for (const auto& m : members) seen = seen || m.first == key;
            if (!seen) members.emplace_back(std::move(key), s.value);
        }
    }
    return members;
}

unsigned resetStatistics(std::span<const std::string_view> selectors) {
    unsigned n = 0;
    for (std::string_view sel : selectors) n += reset(sel);
    return n;
}

}  // namespace osprey::stats
