// Shared-heap workloads (shm_contend_1p, shm_contend_2p, shm_prodcons): two workers on two
// CPUs, as processes on one MAP_SHARED segment (Osprey's heaps) or as threads (glibc).
#pragma once
#include <string_view>

namespace osprey::membench {

extern const char* const kSharedWorkloads[];   // nullptr-terminated
extern const char* const kSharedAllocators[];  // glibc, <heap>-lock..., shm (this build's MEMMNG)

bool isSharedWorkload(std::string_view workload);

// Runs one measurement and prints "RESULT kind=shared ...". Returns the process exit code.
int runShared(std::string_view alloc, std::string_view workload, double scaleFactor);

}  // namespace osprey::membench
