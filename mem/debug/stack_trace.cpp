// Per-thread stack bounds for the frame-pointer walk of captureStack (stack_trace.h).
#include "mem/debug/stack_trace.h"

#include <pthread.h>

namespace osprey::mem {

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

}  // namespace osprey::mem
