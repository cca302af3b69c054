// ELF symbol lookup for report frames (see symboliser.h). The file is untrusted input as far
// as this code is concerned: every offset is checked against the mapping before use.
#include "mem/debug/symboliser.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace osprey::mem {

namespace {

bool inside(size_t off, size_t len, size_t total) {
    return off <= total && len <= total - off;
}

}  // namespace

Symboliser::~Symboliser() {
    for (int i = 0; i < count_; ++i)
        if (objects_[i].map) munmap(const_cast<void*>(objects_[i].map), objects_[i].mapLen);
}

Symboliser::Object* Symboliser::objectFor(const char* path, uintptr_t bias) {
    for (int i = 0; i < count_; ++i)
        if (objects_[i].bias == bias) return &objects_[i];
    if (count_ == kMaxObjects) return nullptr;
    Object& o = objects_[count_++];
    o.bias = bias;
    load(o, path);
    return &o;
}

// Maps the object file and finds its symbol table; leaves o without symbols on any doubt.
void Symboliser::load(Object& o, const char* path) {
    // The main program has no name in the link map; /proc/self/exe is its file. A name
    // without a slash (the vDSO) has no file at all.
    if (!path || !path[0])
        path = "/proc/self/exe";
    else if (!strchr(path, '/'))
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    void* map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(sizeof(Elf64_Ehdr)))
        map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return;
    o.map = map;
    o.mapLen = static_cast<size_t>(st.st_size);

    auto* base = static_cast<const char*>(map);
    Elf64_Ehdr eh;
    memcpy(&eh, base, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_shentsize != sizeof(Elf64_Shdr) ||
        !inside(eh.e_shoff, size_t{eh.e_shnum} * sizeof(Elf64_Shdr), o.mapLen))
        return;
    const Elf64_Shdr* sh = nullptr;
    auto section = [&](size_t i) {
        Elf64_Shdr s;
        memcpy(&s, base + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof s);
        return s;
    };
    Elf64_Shdr chosen{};
    for (uint32_t want : {SHT_SYMTAB, SHT_DYNSYM}) {
        for (size_t i = 0; i < eh.e_shnum && !sh; ++i) {
            Elf64_Shdr s = section(i);
            if (s.sh_type == want && s.sh_entsize == sizeof(Elf64_Sym) && s.sh_link < eh.e_shnum &&
                inside(s.sh_offset, s.sh_size, o.mapLen)) {
                chosen = s;
                sh = &chosen;
            }
        }
        if (sh) break;
    }
    if (!sh) return;
    Elf64_Shdr strs = section(sh->sh_link);
    if (strs.sh_type != SHT_STRTAB || !inside(strs.sh_offset, strs.sh_size, o.mapLen)) return;
    o.syms = base + sh->sh_offset;
    o.count = sh->sh_size / sizeof(Elf64_Sym);
    o.strs = base + strs.sh_offset;
    o.strLen = strs.sh_size;
}

// The function symbol covering addr (a link-time address), or nullptr.
const char* Symboliser::lookup(const Object& o, uintptr_t addr, uintptr_t* off) {
    const char* best = nullptr;
    for (size_t i = 0; i < o.count; ++i) {
        Elf64_Sym s;
        memcpy(&s, static_cast<const char*>(o.syms) + i * sizeof s, sizeof s);
        unsigned type = ELF64_ST_TYPE(s.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF) continue;
        if (addr < s.st_value || addr - s.st_value >= (s.st_size ? s.st_size : 1)) continue;
        if (s.st_name >= o.strLen || !memchr(o.strs + s.st_name, '\0', o.strLen - s.st_name))
            continue;
        best = o.strs + s.st_name;
        *off = addr - s.st_value;
        if (s.st_size) break;  // an exact cover beats a size-less neighbour
    }
    return best && best[0] ? best : nullptr;
}

void Symboliser::describe(uintptr_t pc, char* buf, size_t len) {
    if (len == 0) return;
    // A return address points after the call; step back into it so the name is the caller's
    // even when the call is the last instruction of a function.
    uintptr_t where = pc ? pc - 1 : 0;
    Dl_info info{};
    link_map* lm = nullptr;
    if (!dladdr1(reinterpret_cast<void*>(where), &info, reinterpret_cast<void**>(&lm),
                 RTLD_DL_LINKMAP) ||
        !lm) {
        snprintf(buf, len, "0x%zx", static_cast<size_t>(pc));
        return;
    }
    const char* object = info.dli_fname && info.dli_fname[0] ? info.dli_fname : "main program";
    const char* slash = strrchr(object, '/');
    const char* shortName = slash ? slash + 1 : object;

    uintptr_t off = 0;
    const char* name = nullptr;
    if (Object* o = objectFor(lm->l_name, lm->l_addr)) name = lookup(*o, where - lm->l_addr, &off);
    if (!name && info.dli_sname) {
        name = info.dli_sname;
        off = where - reinterpret_cast<uintptr_t>(info.dli_saddr);
    }
    if (!name) {
        snprintf(buf, len, "0x%zx (%s+0x%zx)", static_cast<size_t>(pc), shortName,
                 static_cast<size_t>(where + 1 - reinterpret_cast<uintptr_t>(info.dli_fbase)));
        return;
    }
    int status = -1;
    char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    snprintf(buf, len, "%s+0x%zx (%s)", status == 0 && demangled ? demangled : name,
             static_cast<size_t>(off + 1), shortName);
    ::free(demangled);
}

}  // namespace osprey::mem
