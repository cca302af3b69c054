// Counts the calling thread's system allocator calls, so a test can show that a path makes
// none. Include it in exactly one file of a test binary: it replaces malloc/calloc/realloc,
// or, under AddressSanitizer (whose allocator cannot be replaced), installs ASan's allocation
// hook instead — so the count, and the tests that assert on it, run in every build mode.
#pragma once
#include <cstddef>

namespace osprey::testsupport {
inline thread_local long t_systemAllocs = 0;
inline long systemAllocs() {
    return t_systemAllocs;
}
}  // namespace osprey::testsupport

#if defined(__SANITIZE_ADDRESS__)
// The sanitizer runtime's hook registration (g++ ships no header for it).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*mallocHook)(const volatile void*,
                                                                            size_t),
                                                         void (*freeHook)(const volatile void*));
namespace {
void countAlloc(const volatile void*, size_t) {
    ++osprey::testsupport::t_systemAllocs;
}
void ignoreFree(const volatile void*) {}
[[maybe_unused]] const int kAllocHookInstalled =
    __sanitizer_install_malloc_and_free_hooks(countAlloc, ignoreFree);
}  // namespace
#else
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void* malloc(size_t n) {
    ++osprey::testsupport::t_systemAllocs;
    return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
    ++osprey::testsupport::t_systemAllocs;
    return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
    ++osprey::testsupport::t_systemAllocs;
    return __libc_realloc(p, n);
}
#endif
