// Report of a benchmark session: reads the RESULT lines every run printed and writes the
// markdown tables and the PASS/FAIL target lines to stdout.
#pragma once

namespace osprey::membench {

// Returns 0 when the file held results, 2 when it could not be read or held none.
int report(const char* path);

}  // namespace osprey::membench
