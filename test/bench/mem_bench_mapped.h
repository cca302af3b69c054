// Memory for the allocator benchmark's own bookkeeping (traces, slot tables, latency samples,
// the trace generators' containers), taken straight from mmap so the glibc malloc under test
// starts from an untouched heap and its RSS is not flattered by the benchmark's freed memory.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory_resource>
#include <new>
#include <type_traits>

namespace osprey::membench {

inline void* mapBytes(size_t bytes, bool shared = false) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

inline size_t roundToPages(size_t bytes) {
    return (bytes + 4095) & ~size_t{4095};
}

// A growable array of trivially copyable values in its own mapping (grows with mremap).
template <class T>
class MappedArray {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    MappedArray() = default;
    MappedArray(const MappedArray&) = delete;
    MappedArray& operator=(const MappedArray&) = delete;
    ~MappedArray() {
        if (data_) munmap(data_, cap_ * sizeof(T));
    }

    // Makes `n` elements addressable and zero (fresh pages), all of them resident.
    bool resizeTouched(size_t n) {
        if (!reserve(n)) return false;
        size_ = n;
        memset(static_cast<void*>(data_), 0, n * sizeof(T));
        return true;
    }
    bool reserve(size_t n) {
        if (n <= cap_) return true;
        size_t newCap = cap_ ? cap_ : 4096 / sizeof(T);
        while (newCap < n) newCap *= 2;
        size_t newBytes = roundToPages(newCap * sizeof(T));
        newCap = newBytes / sizeof(T);
        void* p = data_ ? mremap(data_, cap_ * sizeof(T), newBytes, MREMAP_MAYMOVE)
                        : mmap(nullptr, newBytes, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return false;
        data_ = static_cast<T*>(p);
        cap_ = newCap;
        return true;
    }
    void push(const T& v) {
        if (size_ == cap_ && !reserve(size_ + 1)) abort();  // benchmark set-up, not a path
        data_[size_++] = v;
    }
    void pop() { --size_; }
    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    size_t size() const { return size_; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }

private:
    T* data_ = nullptr;
    size_t cap_ = 0;  // elements; the mapping is cap_ * sizeof(T) bytes (whole pages)
    size_t size_ = 0;
};

// A pmr upstream that maps every request; put a monotonic_buffer_resource in front of it.
class MmapResource : public std::pmr::memory_resource {
private:
    void* do_allocate(size_t bytes, size_t) override {
        void* p = mapBytes(roundToPages(bytes));
        if (!p) throw std::bad_alloc();  // generator set-up only
        return p;
    }
    void do_deallocate(void* p, size_t bytes, size_t) override { munmap(p, roundToPages(bytes)); }
    bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override {
        return this == &o;
    }
};

}  // namespace osprey::membench
