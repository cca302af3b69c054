// Symbolisation of captured return addresses for live-fragment reports.
#define UNW_LOCAL_ONLY
#include "mem/debug/stack_trace.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <dlfcn.h>
#include <libunwind.h>
#include <pthread.h>

namespace osprey::mem {

namespace {

// libunwind reads the ELF symbol table, so static functions and binaries linked without
// -rdynamic are named too; dladdr only knows exported symbols but names the object.
bool procName(uintptr_t pc, char* name, size_t len, uintptr_t* off) {
    unw_accessors_t* acc = unw_get_accessors(unw_local_addr_space);
    if (!acc || !acc->get_proc_name) return false;
    unw_word_t o = 0;
    if (acc->get_proc_name(unw_local_addr_space, pc, name, len, &o, nullptr) != 0) return false;
    *off = o;
    return name[0] != '\0';
}

} // namespace

uintptr_t currentStackTop() {
    // Forked children inherit the value with the stack it describes.
    static thread_local uintptr_t top = 0;
    static thread_local bool known = false;
    if (!known) {
        known = true;
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            void* low = nullptr;
            size_t size = 0;
            if (pthread_attr_getstack(&attr, &low, &size) == 0)
                top = reinterpret_cast<uintptr_t>(low) + size;
            pthread_attr_destroy(&attr);
        }
    }
    return top;
}

void describeFrame(uintptr_t pc, char* buf, size_t len) {
    if (len == 0) return;
    // A return address points after the call; step back into it so the name is the caller's
    // even when the call is the last instruction of a function.
    uintptr_t where = pc ? pc - 1 : 0;
    char mangled[512];
    uintptr_t off = 0;
    Dl_info info{};
    bool haveDl = dladdr(reinterpret_cast<void*>(where), &info) != 0;
    bool named = procName(where, mangled, sizeof mangled, &off);
    if (!named && haveDl && info.dli_sname) {
        snprintf(mangled, sizeof mangled, "%s", info.dli_sname);
        off = where - reinterpret_cast<uintptr_t>(info.dli_saddr);
        named = true;
    }
    const char* object = haveDl && info.dli_fname ? strrchr(info.dli_fname, '/') : nullptr;
    object = object ? object + 1 : (haveDl && info.dli_fname ? info.dli_fname : "?");
    if (!named) {
        snprintf(buf, len, "0x%zx (%s)", static_cast<size_t>(pc), object);
        return;
    }
    // The report runs on the system heap's time, never the reported heap's.
    int status = -1;
    char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    snprintf(buf, len, "%s+0x%zx (%s)", status == 0 && demangled ? demangled : mangled,
             static_cast<size_t>(off + 1), object);
    free(demangled);
}

} // namespace osprey::mem
