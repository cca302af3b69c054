// Names return addresses for live-fragment reports: "function+0xoff (object)". Each loaded
// object's ELF symbol table (.symtab, or .dynsym when stripped) is mapped once per
// Symboliser, so naming hundreds of frames costs milliseconds, and static and anonymous-
// namespace functions are named too (dladdr only knows exported symbols). Nothing here
// allocates from the heaps being reported; demangling uses the C library's malloc.
#pragma once
#include <cstddef>
#include <cstdint>

namespace osprey::mem {

class Symboliser {
public:
    Symboliser() = default;
    ~Symboliser();
    Symboliser(const Symboliser&) = delete;
    Symboliser& operator=(const Symboliser&) = delete;

    // Writes a description of the code address pc into buf (always NUL-terminated).
    void describe(uintptr_t pc, char* buf, size_t len);

private:
    struct Object {
        uintptr_t bias = 0;         // load address minus link-time address
        const void* map = nullptr;  // the whole file, read-only
        size_t mapLen = 0;
        const void* syms = nullptr;  // Elf64_Sym[count]
        size_t count = 0;
        const char* strs = nullptr;
        size_t strLen = 0;
    };
    static constexpr int kMaxObjects = 16;

    Object* objectFor(const char* path, uintptr_t bias);
    static void load(Object& o, const char* path);
    static const char* lookup(const Object& o, uintptr_t addr, uintptr_t* off);

    Object objects_[kMaxObjects];
    int count_ = 0;
};

}  // namespace osprey::mem
