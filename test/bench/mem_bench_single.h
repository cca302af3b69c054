// Single-process workloads: one allocator, one trace, one fresh process, one RESULT line.
#pragma once
#include <string_view>

#include "test/bench/mem_bench_trace.h"

namespace osprey::membench {

// Allocators compiled into this binary (nullptr-terminated): glibc, fm, qm, tlsf.
extern const char* const kSingleAllocators[];

// Generates the trace at recordedScale * scaleFactor, measures, prints "RESULT kind=single ...".
// Returns the process exit code (0 ok, 1 allocation failed or leak, 2 unknown allocator).
int runSingle(std::string_view alloc, const WorkloadDef& w, double scaleFactor);

}  // namespace osprey::membench
