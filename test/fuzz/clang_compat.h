// Force-included into the fuzz build only (clang 14 + libstdc++ 12): libstdc++ defines
// std::source_location only when the compiler has __builtin_source_location, which clang gets
// in version 15. This supplies the same interface from the older builtins so mem/ compiles.
#pragma once
#include <version>

#if defined(__clang__) && !defined(__cpp_lib_source_location)
#include <cstdint>
namespace std {
struct source_location {
    static constexpr source_location current(const char* file = __builtin_FILE(),
                                             const char* func = __builtin_FUNCTION(),
                                             uint_least32_t line = __builtin_LINE(),
                                             uint_least32_t col = __builtin_COLUMN()) noexcept {
        source_location s;
        s.file_ = file;
        s.func_ = func;
        s.line_ = line;
        s.col_ = col;
        return s;
    }
    constexpr source_location() noexcept = default;
    constexpr uint_least32_t line() const noexcept { return line_; }
    constexpr uint_least32_t column() const noexcept { return col_; }
    constexpr const char* file_name() const noexcept { return file_; }
    constexpr const char* function_name() const noexcept { return func_; }

private:
    const char* file_ = "";
    const char* func_ = "";
    uint_least32_t line_ = 0;
    uint_least32_t col_ = 0;
};
}  // namespace std
#endif
