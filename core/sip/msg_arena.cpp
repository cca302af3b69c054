// MsgArena overflow: chunks from the pkg heap, all freed together.
#include "core/sip/msg_arena.h"

#include "mem/pkg.h"

namespace osprey::sip {

void* MsgArena::allocSlow(size_t n) {
    size_t want = sizeof(Chunk) + n;
    if (want < kChunkBytes) want = kChunkBytes;
    auto* raw = static_cast<unsigned char*>(mem::pkgAlloc(want));
    if (!raw) return nullptr;
    auto* c = reinterpret_cast<Chunk*>(raw);
    c->next = head_;
    head_ = c;
    ++chunks_;
    // sizeof(Chunk) is 8, so the usable area stays kAlign-aligned (pkg gives 16).
    cur_ = raw + sizeof(Chunk);
    end_ = raw + want;
    void* p = cur_;
    cur_ += n;
    return p;
}

void MsgArena::release() {
    while (head_) {
        Chunk* next = head_->next;
        mem::pkgFree(head_);
        head_ = next;
    }
    chunks_ = 0;
    cur_ = inline_;
    end_ = inline_ + kInlineBytes;
}

}  // namespace osprey::sip
