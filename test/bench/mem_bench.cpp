// Allocator benchmark (make bench-mem): SIP-router allocation traces replayed against fm,
// qm (with call stacks), tlsf and glibc malloc, plus the shared-segment workloads.
// scripts/bench-mem.sh runs one fresh process per (allocator, workload, repetition):
//   mem_bench run <allocator> <workload> [scale-factor]   prints one RESULT line
//   mem_bench list                                         allocators/workloads in this build
//   mem_bench report <results-file>                        markdown tables + target checks
// scale-factor multiplies the recorded scales of docs/alloc-workloads.md (default 1).
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "test/bench/mem_bench_report.h"
#include "test/bench/mem_bench_shared.h"
#include "test/bench/mem_bench_single.h"
#include "test/bench/mem_bench_trace.h"

using namespace osprey::membench;

namespace {

// stdout gets a static buffer so printing never calls the malloc under test.
char g_stdoutBuf[1 << 14];

int usage() {
    fprintf(stderr,
            "usage: mem_bench run <allocator> <workload> [scale-factor]\n"
            "       mem_bench list\n"
            "       mem_bench report <results-file>\n");
    return 2;
}

void printList(const char* label, const char* const* names) {
    printf("%s", label);
    for (const char* const* p = names; *p; ++p) printf(" %s", *p);
    printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, g_stdoutBuf, _IOFBF, sizeof g_stdoutBuf);
    if (argc < 2) return usage();
    std::string_view cmd = argv[1];
    if (cmd == "list") {
        size_t n = 0;
        const WorkloadDef* ws = workloads(&n);
        printf("single-workloads");
        for (size_t i = 0; i < n; ++i) printf(" %s", ws[i].name);
        printf("\n");
        printList("single-allocators", kSingleAllocators);
        printList("shared-workloads", kSharedWorkloads);
        printList("shared-allocators", kSharedAllocators);
        return 0;
    }
    if (cmd == "report" && argc == 3) return report(argv[2]);
    if (cmd != "run" || argc < 4 || argc > 5) return usage();
    double scale = argc == 5 ? atof(argv[4]) : 1.0;
    if (!(scale > 0 && scale <= 100)) {
        fprintf(stderr, "mem_bench: scale-factor must be in (0, 100]\n");
        return 2;
    }
    std::string_view alloc = argv[2], workload = argv[3];
    if (isSharedWorkload(workload)) return runShared(alloc, workload, scale);
    const WorkloadDef* w = findWorkload(workload);
    if (!w) {
        fprintf(stderr, "mem_bench: unknown workload '%s' (mem_bench list)\n", argv[3]);
        return 2;
    }
    return runSingle(alloc, *w, scale);
}
