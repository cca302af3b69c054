// Short call stacks for debug allocators: captured on every allocation (so it must be cheap),
// symbolised only when a report is written. Return addresses are code addresses, valid in
// every process forked from the one that captured them, so they may live in shm.
#pragma once
#include <cstddef>
#include <cstdint>

// libunwind's fast-path trace (cached per return address); declared here so that the heap
// headers need not pull libunwind.h into every translation unit.
extern "C" int unw_backtrace(void** buffer, int size);

namespace osprey::mem {

struct CallStack {
    static constexpr int kDepth = 6;
    uintptr_t pc[kDepth];  // return addresses, innermost first; 0 ends a short stack
};

// Records the stack of the caller of the function this is inlined into: frame 0 (the
// allocator entry point itself) says nothing about who allocated, so it is dropped. The
// allocator entry points that call this are noinline, so frame 0 is always theirs.
[[gnu::always_inline]] inline void captureStack(CallStack& out) {
    void* frames[CallStack::kDepth + 1];
    int n = unw_backtrace(frames, CallStack::kDepth + 1);
    for (int i = 0; i < CallStack::kDepth; ++i)
        out.pc[i] = i + 1 < n ? reinterpret_cast<uintptr_t>(frames[i + 1]) : 0;
}

// Writes "name+0xoff" (demangled where possible) or "0x... (object)" for one return address
// into buf; never fails, always NUL-terminates. Slow (reads symbol tables): reports only.
void describeFrame(uintptr_t pc, char* buf, size_t len);

} // namespace osprey::mem
