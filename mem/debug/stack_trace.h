// Short call stacks for debug allocators: captured on every allocation (so it must be cheap),
// symbolised only when a report is written (symboliser.h). Return addresses are code addresses,
// valid in every process forked from the one that captured them, so they may live in shm.
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

// The highest address of the calling thread's stack (cached per thread), 0 if unknown.
uintptr_t currentStackTop();

// Records the stack of the caller of the function this is inlined into. The allocator entry
// points that call it are noinline, so the innermost recorded frame is their caller's.
//
// Builds with frame pointers (make MEMDBG=1 sets OSPREY_FRAME_POINTERS) follow the saved
// frame-pointer chain: a few loads, ~4 ns, where a DWARF unwind costs ~60 ns, most of qm's
// budget. Every step must move up the stack and stay below the thread's stack top, so a
// frame without a frame pointer (libc, LuaJIT) ends the walk instead of sending it astray.
// Other builds ask libunwind, whose cached trace works without frame pointers.
[[gnu::always_inline]] inline void captureStack(CallStack& out) {
    int i = 0;
#if OSPREY_FRAME_POINTERS
    if (uintptr_t top = currentStackTop()) {
        auto* fp = static_cast<const uintptr_t*>(__builtin_frame_address(0));
        while (i < CallStack::kDepth) {
            auto at = reinterpret_cast<uintptr_t>(fp);
            if ((at & 7) || at + 2 * sizeof(uintptr_t) > top) break;
            out.pc[i++] = fp[1];  // return address into the caller of this frame
            if (fp[0] <= at) break;
            fp = reinterpret_cast<const uintptr_t*>(fp[0]);
        }
        for (int j = i; j < CallStack::kDepth; ++j) out.pc[j] = 0;
        return;
    }
#endif
    // Frame 0 is the allocator entry point itself, which says nothing about who allocated.
    void* frames[CallStack::kDepth + 1];
    int n = unw_backtrace(frames, CallStack::kDepth + 1);
    for (; i < CallStack::kDepth; ++i)
        out.pc[i] = i + 1 < n ? reinterpret_cast<uintptr_t>(frames[i + 1]) : 0;
}

}  // namespace osprey::mem
