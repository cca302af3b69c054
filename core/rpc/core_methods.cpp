#include "core/rpc/core_methods.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "core/app/version.h"
#include "core/lua/script_release.h"
#include "core/net/listen_socket.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_settings.h"
#include "core/net/tcp_wq_budget.h"
#include "core/proc/process_table.h"
#include "core/rpc/registry.h"
#include "core/timer/clock.h"
#include "mem/shm.h"

namespace osprey::rpc {

namespace {

// ctime(3) without its newline, as Kamailio prints times.
std::string ctimeText(time_t t) {
    char buf[32];
    if (ctime_r(&t, buf) == nullptr) return "";
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

Result coreVersion() noexcept {
    utsname u{};
    uname(&u);
    std::string v = std::string("osprey ") + app::versionString() + " (" + u.machine + "/" +
                    "linux) " + app::allocatorName() + " " + OSPREY_BUILD_MODE;
    return Value(v);
}

Result coreUptime() noexcept {
    const proc::ProcessTable* t = proc::processTable();
    const time_t now = time(nullptr);
    time_t since = now;
    if (t != nullptr && t->entries[0].startedMs > 0)
        since = static_cast<time_t>(t->entries[0].startedMs / 1000);
    Value s = Value::structure();
    s.add("now", ctimeText(now));
    s.add("up_since", ctimeText(since));
    s.add("uptime", static_cast<int64_t>(now - since));
    return s;
}

// Calls fn(slot, entry) for every live process, master first.
template <class Fn>
void forEachProcess(Fn fn) {
    const proc::ProcessTable* t = proc::processTable();
    if (t == nullptr) return;
    const uint32_t used = t->used.load(std::memory_order_acquire);
    for (uint32_t s = 0; s < used && s < proc::ProcessTable::kSlots; ++s) {
        const proc::ProcessEntry& e = t->entries[s];
        if (e.pid.load(std::memory_order_relaxed) == 0) continue;
        fn(s, e);
    }
}

std::string describe(const proc::ProcessEntry& e) {
    std::string name(e.name, strnlen(e.name, sizeof e.name));
    return name + " (" + proc::rankName(e.rank) + ")";
}

Result corePs() noexcept {
    Value out = Value::array();
    forEachProcess([&](uint32_t, const proc::ProcessEntry& e) {
        out.push(static_cast<int64_t>(e.pid.load()));
        out.push(describe(e));
    });
    return out;
}

// Kamailio's IDX, PID, DSC, and for a process that runs the script the generation it runs
// (GEN; app_lua.status has the details): after a reload, who has not switched yet shows here.
Result corePsx() noexcept {
    const lua::ScriptStatus script = lua::scriptStatus();
    Value out = Value::array();
    forEachProcess([&](uint32_t slot, const proc::ProcessEntry& e) {
        Value p = Value::structure();
        p.add("IDX", static_cast<int64_t>(slot));
        p.add("PID", static_cast<int64_t>(e.pid.load()));
        p.add("DSC", describe(e));
        for (const lua::ScriptStatus::Process& sp : script.processes) {
            if (sp.slot == slot && sp.pid == e.pid.load())
                p.add("GEN", static_cast<int64_t>(sp.generation));
        }
        out.push(std::move(p));
    });
    return out;
}

// Kamailio's unit argument: b (default), k, m, g, optionally followed by b ("kb", "MB").
bool unitShift(std::optional<std::string_view> unit, int* shift) {
    *shift = 0;
    if (!unit || unit->empty()) return true;
    std::string_view u = *unit;
    switch (u[0]) {
        case 'b':
        case 'B':
            *shift = 0;
            break;
        case 'k':
        case 'K':
            *shift = 10;
            break;
        case 'm':
        case 'M':
            *shift = 20;
            break;
        case 'g':
        case 'G':
            *shift = 30;
            break;
        default:
            return false;
    }
    return u.size() == 1 || (u.size() == 2 && (u[1] == 'b' || u[1] == 'B'));
}

Result coreShmmem(std::optional<std::string_view> unit) noexcept {
    int shift = 0;
    if (!unitShift(unit, &shift)) return Result::fault(kInternal, "bad param, (use b|k|m|g)");
    const mem::HeapStats st = mem::shmStats();
    Value s = Value::structure();
    s.add("total", static_cast<int64_t>(st.total >> shift));
    s.add("free", static_cast<int64_t>(st.freeBytes >> shift));
    s.add("used", static_cast<int64_t>(st.used >> shift));
    s.add("real_used", static_cast<int64_t>(st.realUsed >> shift));
    s.add("max_used", static_cast<int64_t>(st.maxRealUsed >> shift));
    s.add("fragments", static_cast<int64_t>(st.freeFragments));
    return s;
}

// Kamailio's pkg.stats [index|pid|rank value]: each process's own heap, as it last published
// it (at most a second old while it works; core/proc/pkg_publish.h).
Result pkgStats(std::optional<std::string_view> mode, std::optional<int64_t> value) noexcept {
    if (mode && *mode != "index" && *mode != "pid" && *mode != "rank")
        return Result::fault(kBadRequest, "filter must be index, pid or rank");
    if (mode && !value) return Result::fault(kBadRequest, "the filter needs a value");
    Value out = Value::array();
    forEachProcess([&](uint32_t slot, const proc::ProcessEntry& e) {
        const int pid = e.pid.load();
        if (mode) {
            const int64_t key = *mode == "index" ? int64_t{slot}
                                : *mode == "pid" ? int64_t{pid}
                                                 : static_cast<int64_t>(e.rank);
            if (key != *value) return;
        }
        const proc::PkgCounters& c = e.pkg;
        Value p = Value::structure();
        p.add("entry", static_cast<int64_t>(slot));
        p.add("pid", static_cast<int64_t>(pid));
        p.add("rank", static_cast<int64_t>(e.rank));
        p.add("used", static_cast<int64_t>(c.used.load(std::memory_order_relaxed)));
        p.add("free", static_cast<int64_t>(c.free.load(std::memory_order_relaxed)));
        p.add("real_used", static_cast<int64_t>(c.realUsed.load(std::memory_order_relaxed)));
        p.add("total_size", static_cast<int64_t>(c.total.load(std::memory_order_relaxed)));
        p.add("total_frags", static_cast<int64_t>(c.fragments.load(std::memory_order_relaxed)));
        p.add("desc", describe(e));
        out.push(std::move(p));
    });
    return out;
}

Result coreTcpInfo() noexcept {
    net::TcpConnTable* t = net::TcpConnTable::get();
    if (t == nullptr) return Result::fault(kInternal, "tcp support disabled");
    Value s = Value::structure();
    s.add("readers", static_cast<int64_t>(t->workers()));
    s.add("max_connections", static_cast<int64_t>(t->capacity()));
    s.add("max_tls_connections", int64_t{0});
    s.add("opened_connections", static_cast<int64_t>(t->used()));
    s.add("opened_tls_connections", int64_t{0});
    const net::WqBudget* wq = net::WqBudget::get();
    s.add("write_queued_bytes", static_cast<int64_t>(wq != nullptr ? wq->used() : 0));
    return s;
}

Result coreSocketsList() noexcept {
    Value out = Value::array();
    for (const net::ListenSocket& ls : net::listenSockets()) {
        Value sock = Value::structure();
        const bool v6 = ls.host.find(':') != std::string::npos;
        std::string addr = ls.host;
        if (v6 && addr.size() > 2 && addr.front() == '[') addr = addr.substr(1, addr.size() - 2);
        sock.add("af", v6 ? "inet6" : "inet");
        sock.add("proto", config::protoName(ls.proto));
        sock.add("address", addr);
        sock.add("port", std::to_string(ls.port));
        sock.add("agname", "none");
        sock.add("mcast", "no");
        sock.add("mhomed", "no");
        sock.add("virtual", "no");
        Value entry = Value::structure();
        entry.add("socket", std::move(sock));
        out.push(std::move(entry));
    }
    return out;
}

Result systemListMethods() noexcept {
    Value out = Value::array();
    for (const Method* m : allMethods()) out.push(m->name);
    return out;
}

Result systemMethodHelp(std::string_view name) noexcept {
    const Method* m = findMethod(name);
    if (m == nullptr)
        return Result::fault(kNotFound, "command " + std::string(name) + " not found");
    std::string help = m->help;
    if (m->params[0] != '\0') help += " Parameters: " + std::string(m->params) + ".";
    return Value(help);
}

constexpr Method kMethods[] = {
    method<&systemListMethods>("system.listMethods", "", "Lists the RPC methods.", kReturnsArray),
    method<&systemMethodHelp>("system.methodHelp", "method", "Print the help of a method."),
    method<&coreVersion>("core.version", "", "Returns the version string of the server."),
    method<&coreUptime>("core.uptime", "", "Returns uptime of the server."),
    method<&corePs>("core.ps", "", "Returns the description of running processes.", kReturnsArray),
    method<&corePsx>("core.psx", "",
                     "Returns the detailed description of running processes (IDX, PID, DSC).",
                     kReturnsArray),
    method<&coreShmmem>("core.shmmem", "unit",
                        "Returns shared memory info. The optional parameter is the measuring "
                        "unit: b - bytes (default), k or kb, m or mb, g or gb."),
    method<&pkgStats>("pkg.stats", "filter value",
                      "Private memory (pkg) of each process; optional filter: index, pid or "
                      "rank, and its value.",
                      kReturnsArray),
    method<&coreTcpInfo>("core.tcp_info", "", "Returns tcp related info."),
    method<&coreSocketsList>("core.sockets_list", "", "Returns the list of listening sockets."),
};

}  // namespace

std::span<const Method> coreMethods() {
    return kMethods;
}

}  // namespace osprey::rpc
