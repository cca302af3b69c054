// Turns the RESULT lines of all runs into the markdown tables (median and min–max over the
// repetitions) and checks the allocator targets, one PASS/FAIL line each.
#include "test/bench/mem_bench_report.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test/bench/mem_bench_trace.h"

namespace osprey::membench {

namespace {

using Fields = std::map<std::string, std::string>;

struct Agg {
    int n = 0;  // successful runs
    double med = 0, lo = 0, hi = 0;
};

class Results {
public:
    void add(const Fields& f) {
        if (auto l = f.find("load"); l != f.end()) {
            double v = atof(l->second.c_str());
            loadMin_ = loadMax_ < 0 ? v : std::min(loadMin_, v);
            loadMax_ = std::max(loadMax_, v);
        }
        auto a = f.find("alloc"), w = f.find("workload");
        if (a == f.end() || w == f.end()) return;
        runs_[{w->second, a->second}].push_back(f);
    }
    bool empty() const { return runs_.empty(); }
    int failures(const std::string& w, const std::string& a) const {
        auto it = runs_.find({w, a});
        if (it == runs_.end()) return 0;
        int n = 0;
        for (const Fields& f : it->second) n += f.count("ok") && f.at("ok") == "1" ? 0 : 1;
        return n;
    }
    std::string firstError(const std::string& w, const std::string& a) const {
        auto it = runs_.find({w, a});
        if (it != runs_.end())
            for (const Fields& f : it->second)
                if (f.count("error")) return f.at("error");
        return "no result";
    }
    Agg agg(const std::string& w, const std::string& a, const std::string& key) const {
        Agg g;
        auto it = runs_.find({w, a});
        if (it == runs_.end()) return g;
        std::vector<double> v;
        for (const Fields& f : it->second) {
            auto k = f.find(key);
            auto ok = f.find("ok");
            if (k != f.end() && ok != f.end() && ok->second == "1")
                v.push_back(atof(k->second.c_str()));
        }
        if (v.empty()) return g;
        std::sort(v.begin(), v.end());
        g.n = static_cast<int>(v.size());
        g.lo = v.front();
        g.hi = v.back();
        g.med = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
        return g;
    }
    bool has(const std::string& w, const std::string& a) const { return runs_.count({w, a}); }

    double loadMin() const { return loadMin_; }
    double loadMax() const { return loadMax_; }

private:
    std::map<std::pair<std::string, std::string>, std::vector<Fields>> runs_;
    double loadMin_ = -1, loadMax_ = -1;
};

std::string num(double v) {
    char b[32];
    if (v >= 1000)
        snprintf(b, sizeof b, "%.0f", v);
    else if (v >= 100)
        snprintf(b, sizeof b, "%.0f", v);
    else if (v >= 10)
        snprintf(b, sizeof b, "%.1f", v);
    else
        snprintf(b, sizeof b, "%.2f", v);
    return b;
}

// Ratios in target lines get three decimals, so a miss is never printed as the target value.
std::string ratio3(double v) {
    char b[32];
    snprintf(b, sizeof b, "%.3f×", v);
    return b;
}

std::string median(const Agg& g) {
    return g.n ? num(g.med) : "–";
}

std::string withRange(const Agg& g) {
    if (g.n == 0) return "–";
    if (g.n == 1) return num(g.med);
    return num(g.med) + " [" + num(g.lo) + "–" + num(g.hi) + "]";
}

const char* const kSingleOrder[] = {"floor", "glibc", "fm", "tlsf", "qm"};
const char* const kSharedOrder[] = {"floor",  "glibc",   "fm-shm",    "tlsf-shm",
                                    "qm-shm", "fm-lock", "tlsf-lock", "qm-lock"};

std::string allocLabel(const std::string& a) {
    if (a == "qm") return "qm (stacks)";
    if (a == "floor") return "(harness floor)";
    return a;
}

std::string sharedLabel(const std::string& a) {
    if (a == "floor") return "(harness floor, private)";
    if (a == "glibc") return "glibc (2 threads)";
    if (a == "qm-shm") return "qm (stacks) shm path";
    if (a == "qm-lock") return "qm (stacks) one lock";
    std::string h = a.substr(0, a.find('-'));
    return a.ends_with("-shm") ? h + " shm path" : h + " one lock";
}

void printSingle(const Results& r) {
    printf(
        "### Single process: ns per malloc+free pair (warm pass 1; median of runs "
        "[min–max])\n\n");
    printf(
        "| workload | allocator | ns/pair | × glibc | CPU ns/pair | cold ns/pair | p50 ns | "
        "p99 ns | p99.9 ns | max ns | frag | heap peak |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    size_t nw = 0;
    const WorkloadDef* ws = workloads(&nw);
    for (size_t i = 0; i < nw; ++i) {
        std::string w = ws[i].name;
        double glibc = r.agg(w, "glibc", "ns1").med;
        for (const char* a : kSingleOrder) {
            if (!r.has(w, a)) continue;
            Agg ns = r.agg(w, a, "ns1");
            if (ns.n == 0) {
                printf("| %s | %s | failed: %s | | | | | | | | | |\n", w.c_str(),
                       allocLabel(a).c_str(), r.firstError(w, a).c_str());
                continue;
            }
            std::string ratio =
                glibc > 0 && std::string(a) != "floor" ? num(glibc / ns.med) + "×" : "–";
            double heapPeak = r.agg(w, a, "heap_peak").med;
            printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w.c_str(),
                   allocLabel(a).c_str(), withRange(ns).c_str(), ratio.c_str(),
                   median(r.agg(w, a, "cpu1")).c_str(), median(r.agg(w, a, "ns0")).c_str(),
                   median(r.agg(w, a, "p50")).c_str(), median(r.agg(w, a, "p99")).c_str(),
                   withRange(r.agg(w, a, "p999")).c_str(), median(r.agg(w, a, "max")).c_str(),
                   median(r.agg(w, a, "frag")).c_str(), heapPeak > 0 ? num(heapPeak).c_str() : "–");
        }
    }
    printf(
        "\nns/pair is wall time (the number the targets use); CPU ns/pair is the same pass in "
        "process CPU time, which a busy machine inflates less.\n"
        "realloc_grow: ns per step (one realloc + one neighbour alloc, or one buffer "
        "freed).\nfrag = (VmHWM − VmRSS before pass 0) / peak live requested bytes; heap "
        "peak = the heap's own maxRealUsed / peak live requested.\n\n");
}

void printShared(const Results& r) {
    printf(
        "### Shared heap: M malloc+free pairs/s (median of runs [min–max]; higher is "
        "better)\n\n");
    printf(
        "| arrangement | shm_contend_1p | shm_contend_2p | 2p / 1p | shm_prodcons | "
        "prodcons max in flight |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (const char* a : kSharedOrder) {
        if (!r.has("shm_contend_1p", a) && !r.has("shm_contend_2p", a) && !r.has("shm_prodcons", a))
            continue;
        Agg one = r.agg("shm_contend_1p", a, "mpairs"), two = r.agg("shm_contend_2p", a, "mpairs");
        std::string scale = one.n && two.n ? num(two.med / one.med) + "×" : "–";
        auto cell = [&](const char* w) {
            Agg g = r.agg(w, a, "mpairs");
            return g.n ? withRange(g) : (r.has(w, a) ? "failed: " + r.firstError(w, a) : "–");
        };
        Agg inFlight = r.agg("shm_prodcons", a, "ring_max");
        printf("| %s | %s | %s | %s | %s | %s |\n", sharedLabel(a).c_str(),
               cell("shm_contend_1p").c_str(), cell("shm_contend_2p").c_str(), scale.c_str(),
               cell("shm_prodcons").c_str(), inFlight.n ? num(inFlight.med).c_str() : "–");
    }
    printf("\n");
}

struct Checker {
    int pass = 0, fail = 0;
    void line(bool ok, const std::string& text) {
        printf("%s %s\n", ok ? "PASS" : "FAIL", text.c_str());
        (ok ? pass : fail)++;
    }
    void missing(const std::string& what) {
        printf("FAIL %s (no successful run)\n", what.c_str());
        fail++;
    }
};

void ratioTarget(Checker& c, const Results& r, const char* a, const char* w, double min) {
    Agg x = r.agg(w, a, "ns1"), g = r.agg(w, "glibc", "ns1");
    std::string what = std::string(a) + " " + w + " >= " + num(min) + "× glibc";
    if (!x.n || !g.n) return c.missing(what);
    double ratio = g.med / x.med;
    Agg xc = r.agg(w, a, "cpu1"), gc = r.agg(w, "glibc", "cpu1");
    std::string cpu = xc.n && gc.n ? "; CPU time " + ratio3(gc.med / xc.med) : "";
    c.line(ratio >= min, what + ": " + ratio3(ratio) + " (" + num(x.med) + " vs " + num(g.med) +
                             " ns/pair" + cpu + ")");
}

void printTargets(const Results& r) {
    printf("### Targets\n\n```\n");
    Checker c;
    ratioTarget(c, r, "fm", "sip_mix", 1.5);
    ratioTarget(c, r, "fm", "burst_small", 2.5);
    ratioTarget(c, r, "fm", "random_frag", 3.0);
    Agg frag = r.agg("random_frag", "fm", "frag");
    if (frag.n)
        c.line(frag.med <= 1.25, "fm random_frag fragmentation <= 1.25: " + num(frag.med));
    else
        c.missing("fm random_frag fragmentation <= 1.25");
    for (const char* a : {"glibc", "fm", "tlsf", "qm"}) {
        Agg near = r.agg("burst_large_near", a, "ns1"),
            exact = r.agg("burst_large_exact", a, "ns1");
        std::string what = std::string(a) + " burst_large_near <= 2× burst_large_exact";
        if (!near.n || !exact.n) {
            if (r.has("burst_large_near", a) || r.has("burst_large_exact", a)) c.missing(what);
            continue;
        }
        c.line(near.med <= 2 * exact.med, what + ": " + num(near.med) + " vs " + num(exact.med) +
                                              " ns/pair (" + ratio3(near.med / exact.med) + ")");
    }
    Agg t = r.agg("sip_mix", "tlsf", "p999"), g = r.agg("sip_mix", "glibc", "p999");
    if (t.n && g.n)
        c.line(t.med <= g.med,
               "tlsf sip_mix p99.9 <= glibc's: " + num(t.med) + " vs " + num(g.med) + " ns");
    else
        c.missing("tlsf sip_mix p99.9 <= glibc's");
    ratioTarget(c, r, "qm", "sip_mix", 0.5);
    for (const char* a : {"fm-shm", "tlsf-shm", "qm-shm", "fm-lock", "tlsf-lock", "qm-lock"}) {
        bool shmPath = std::string(a).ends_with("-shm");
        Agg one = r.agg("shm_contend_1p", a, "mpairs"), two = r.agg("shm_contend_2p", a, "mpairs");
        std::string what = sharedLabel(a) + " shm_contend 2p >= 1.5× 1p";
        if (!one.n || !two.n) {
            if (shmPath) c.missing(what);
            continue;
        }
        std::string text = what + ": " + num(two.med) + " vs " + num(one.med) + " M pairs/s (" +
                           ratio3(two.med / one.med) + ")";
        if (shmPath)
            c.line(two.med >= 1.5 * one.med, text);
        else
            printf("info %s  [contrast, not a target]\n", text.c_str());
    }
    Agg g1 = r.agg("shm_contend_1p", "glibc", "mpairs"),
        g2 = r.agg("shm_contend_2p", "glibc", "mpairs");
    if (g1.n && g2.n)
        printf(
            "info glibc (2 threads, nothing shared) shm_contend 2p/1p: %s× — what two "
            "independent heaps get on this machine\n",
            num(g2.med / g1.med).c_str());
    printf("```\n\n%d targets met, %d missed.\n", c.pass, c.fail);
}

}  // namespace

int report(const char* path) {
    std::ifstream in(path);
    if (!in) {
        fprintf(stderr, "mem_bench: cannot read %s\n", path);
        return 2;
    }
    Results r;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("RESULT ", 0) != 0) continue;
        std::istringstream words(line.substr(7));
        Fields f;
        std::string kv;
        while (words >> kv) {
            size_t eq = kv.find('=');
            if (eq != std::string::npos) f[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        r.add(f);
    }
    if (r.empty()) {
        fprintf(stderr, "mem_bench: no RESULT lines in %s\n", path);
        return 2;
    }
    if (r.loadMax() >= 0)
        printf(
            "Load average (1 min) before the runs: %.2f–%.2f%s\n\n", r.loadMin(), r.loadMax(),
            r.loadMax() > 1.5 ? " — the machine was busy: expect noise, compare CPU columns" : "");
    printSingle(r);
    printShared(r);
    printTargets(r);
    return 0;
}

}  // namespace osprey::membench
