// Both qm variants are compiled once here, so every user of mem/ links the same code.
#include "mem/qm/qm_heap.h"

namespace osprey::mem {

template class QmHeap<false>;
template class QmHeap<true>;

static_assert(Heap<QmHeap<false>> && Heap<QmHeap<true>>);
static_assert(sizeof(qm::Header<false>) == 32 && sizeof(qm::Header<true>) == 80);

}  // namespace osprey::mem
