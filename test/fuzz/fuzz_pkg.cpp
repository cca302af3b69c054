// The pkg heap for fuzz targets: plain malloc, so AddressSanitizer sees every arena chunk
// exactly (a pool would hide overruns inside it). Only what core/sip uses is provided.
#include <cstdlib>

#include "mem/pkg.h"

namespace osprey::mem {

void* pkgAlloc(size_t n, AllocSite) {
    return std::malloc(n == 0 ? 1 : n);
}
void* pkgAllocZero(size_t n, AllocSite) {
    return std::calloc(1, n == 0 ? 1 : n);
}
void pkgFree(void* p, AllocSite) {
    std::free(p);
}
void* pkgRealloc(void* p, size_t n, AllocSite) {
    return std::realloc(p, n);
}

}  // namespace osprey::mem
