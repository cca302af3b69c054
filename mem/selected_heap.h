// The allocator chosen at compile time (make MEMMNG=fm|qm|tlsf, MEMDBG=1).
#pragma once

#include "mem/heap_concept.h"

#if defined(OSPREY_MEMMNG_qm)
#include "mem/qm/qm_heap.h"
#elif defined(OSPREY_MEMMNG_tlsf)
#include "mem/tlsf/tlsf_heap.h"
#else
#include "mem/fm/fm_heap.h"
#endif

#if OSPREY_MEMDBG
#include "mem/debug/debug_heap.h"
#endif

namespace osprey::mem {

#if defined(OSPREY_MEMMNG_qm)
using BaseHeap = QmHeap<OSPREY_MEMDBG != 0>;
#elif defined(OSPREY_MEMMNG_tlsf)
using BaseHeap = TlsfHeap;
#else
using BaseHeap = FmHeap;
#endif

// qm keeps its own per-fragment records; fm and tlsf get them from the debug wrapper.
#if OSPREY_MEMDBG && !defined(OSPREY_MEMMNG_qm)
using SelectedHeap = DebugHeap<BaseHeap>;
#else
using SelectedHeap = BaseHeap;
#endif

static_assert(Heap<SelectedHeap>);

} // namespace osprey::mem
