// Per-message bump allocator for parsed header bodies and overflow header slots. The first
// kInlineBytes live inside the SipMsg itself (no allocator call for a typical message); more
// comes from the process's pkg heap in chunks. Nothing is freed one by one: release() (called
// when the message is done) returns every chunk at once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace osprey::sip {

class MsgArena {
public:
    static constexpr size_t kInlineBytes = 4096;
    static constexpr size_t kChunkBytes = 8192;
    static constexpr size_t kAlign = 8;

    MsgArena() {}  // user-provided: never zero the inline area
    ~MsgArena() { release(); }
    MsgArena(const MsgArena&) = delete;
    MsgArena& operator=(const MsgArena&) = delete;

    // nullptr when the pkg heap is exhausted (or not initialised in this process).
    void* alloc(size_t n) {
        n = (n + kAlign - 1) & ~(kAlign - 1);
        if (n <= static_cast<size_t>(end_ - cur_)) {
            void* p = cur_;
            cur_ += n;
            return p;
        }
        return allocSlow(n);
    }

    // Constructs a T (trivially destructible: the arena never runs destructors). A trivially
    // copyable T is copied from a constant default instance: GCC turns value-initialisation
    // of a 100-200 byte struct into `rep stos`, slow to start for sizes this small, while the
    // copy of a constant becomes a few 16-byte stores.
    template <class T>
    T* make() {
        static_assert(std::is_trivially_destructible_v<T>);
        static_assert(alignof(T) <= kAlign);
        void* p = alloc(sizeof(T));
        if (!p) return nullptr;
        if constexpr (std::is_trivially_copyable_v<T>) {
            static constexpr T kInit{};
            std::memcpy(p, &kInit, sizeof(T));  // implicitly creates the T (C++20 [intro.object])
            return std::launder(static_cast<T*>(p));
        } else {
            return new (p) T();
        }
    }
    template <class T>
    T* makeArray(size_t n) {
        static_assert(std::is_trivially_destructible_v<T>);
        static_assert(alignof(T) <= kAlign);
        void* p = alloc(sizeof(T) * n);
        if (!p) return nullptr;
        T* a = static_cast<T*>(p);
        for (size_t i = 0; i < n; ++i) new (a + i) T();
        return a;
    }

    // Frees every pkg chunk and makes the whole inline area available again.
    void release();

    size_t chunkCount() const { return chunks_; }

private:
    void* allocSlow(size_t n);

    struct Chunk {
        Chunk* next;
    };
    alignas(16) unsigned char inline_[kInlineBytes];
    unsigned char* cur_ = inline_;
    unsigned char* end_ = inline_ + kInlineBytes;
    Chunk* head_ = nullptr;
    size_t chunks_ = 0;
};

}  // namespace osprey::sip
