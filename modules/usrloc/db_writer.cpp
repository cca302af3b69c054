// DbWriter is defined in db_writer.h.
#include "modules/usrloc/db_writer.h"

#include <ctime>

namespace osprey::usrloc {

int64_t monoMs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace osprey::usrloc
