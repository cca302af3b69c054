#include "core/rpc/mod_stats.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::rpc {

namespace {

// The module a source path belongs to: ".../modules/<name>/file.cpp" -> name.
std::string moduleOf(std::string_view file) {
    const size_t m = file.rfind("modules/");
    if (m == std::string_view::npos) return "core";
    std::string_view rest = file.substr(m + 8);
    const size_t slash = rest.find('/');
    return slash == std::string_view::npos ? "core" : std::string(rest.substr(0, slash));
}

// The short function name: "void osprey::tm::f(int)" -> "f".
std::string shortName(std::string_view fn) {
    const size_t paren = fn.find('(');
    std::string_view head = fn.substr(0, paren);
    const size_t sp = head.find_last_of(" :");
    return std::string(sp == std::string_view::npos ? head : head.substr(sp + 1));
}

// A heap's report, written by the allocator into a memory file and read back.
std::string heapReport(bool shm) {
    int fd = memfd_create("osprey-mod-stats", MFD_CLOEXEC);
    if (fd < 0) return "";
    if (shm) {
        mem::shmReportLive(fd);
    } else {
        mem::pkgReportLive(fd);
    }
    std::string text;
    char buf[8192];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(fd);
    return text;
}

Result modStats(std::string_view module, std::string_view heap) noexcept {
    if (heap != "shm" && heap != "pkg" && heap != "all")
        return Result::fault(kBadRequest, "heap must be shm, pkg or all");
    // module -> heap -> site -> bytes, ordered for a stable answer.
    std::map<std::string, std::map<std::string, std::map<std::string, uint64_t>>> by;
    for (const char* h : {"shm", "pkg"}) {
        if (heap != "all" && heap != h) continue;
        std::vector<SiteBytes> sites;
        std::string why;
        if (!parseLiveReport(heapReport(std::string_view(h) == "shm"), &sites, &why))
            return Result::fault(kInternal, why);
        for (const SiteBytes& s : sites) {
            if (module != "all" && s.module != module) continue;
            by[s.module][h][s.site] += s.bytes;
        }
    }
    Value out = Value::array();
    for (auto& [mod, heaps] : by) {
        Value m = Value::structure();
        m.add("Module", mod);
        for (auto& [h, sites] : heaps) {
            Value hs = Value::structure();
            uint64_t total = 0;
            for (auto& [site, bytes] : sites) {
                hs.add(site, static_cast<int64_t>(bytes));
                total += bytes;
            }
            hs.add("Total", static_cast<int64_t>(total));
            m.add(h, std::move(hs));
        }
        out.push(std::move(m));
    }
    return out;
}

constexpr Method kMethods[] = {
    method<&modStats>("mod.stats", "module heap",
                      "Memory in use per module and allocation site: module name or all, heap "
                      "shm, pkg or all (debug allocators only).",
                      kReturnsArray),
};

}  // namespace

bool parseLiveReport(std::string_view report, std::vector<SiteBytes>* out, std::string* why) {
    if (report.find("needs a debug allocator") != std::string_view::npos ||
        report.rfind("live fragments", 0) != 0) {
        *why = std::string(report.substr(0, report.find('\n')));
        if (why->empty()) *why = "no live-fragment report from the allocator";
        return false;
    }
    // "  <bytes> bytes in <n> fragment[s] allocated at <file>:<line> (<function>)"
    constexpr std::string_view kAt = " allocated at ";
    while (!report.empty()) {
        const size_t eol = report.find('\n');
        std::string_view line = report.substr(0, eol);
        report.remove_prefix(eol == std::string_view::npos ? report.size() : eol + 1);
        const size_t at = line.find(kAt);
        if (line.substr(0, 2) != "  " || at == std::string_view::npos) continue;
        SiteBytes s;
        s.bytes = strtoull(std::string(line.substr(2)).c_str(), nullptr, 10);
        std::string_view where = line.substr(at + kAt.size());
        const size_t open = where.find(" (");
        std::string_view fileLine = where.substr(0, open);
        const size_t colon = fileLine.rfind(':');
        std::string_view file = fileLine.substr(0, colon);
        std::string_view lineNo =
            colon == std::string_view::npos ? std::string_view("?") : fileLine.substr(colon + 1);
        std::string_view fn =
            open == std::string_view::npos ? std::string_view("?") : where.substr(open + 2);
        if (!fn.empty() && fn.back() == ')') fn.remove_suffix(1);
        s.module = moduleOf(file);
        s.site = shortName(fn) + "(" + std::string(lineNo) + ")";
        out->push_back(std::move(s));
    }
    return true;
}

std::span<const Method> modStatsMethods() {
    return kMethods;
}

}  // namespace osprey::rpc
