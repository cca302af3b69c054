// A short allocate/verify/free exercise of this process's pkg heap and the shared heap, run
// by the test workers (idle_worker.h) at start-up: it proves the heaps work after fork.
#pragma once

namespace osprey::testsupport {

struct SelfTestResult {
    bool ok = true;
    unsigned shmAllocs = 0;
    unsigned pkgAllocs = 0;
    char error[160] = {};  // what went wrong when !ok
};

// `seed` varies the sizes between processes; `sharers` is how many processes may run it on
// the shared heap at once (sizes shrink so they all fit). Leaves both heaps as it found them.
SelfTestResult runHeapSelfTest(unsigned seed, unsigned sharers, unsigned rounds = 4);

}  // namespace osprey::testsupport
