// Grouping, sorting and writing of live-fragment reports (see live_report.h).
#include "mem/debug/live_report.h"

#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "mem/debug/symboliser.h"

namespace osprey::mem {

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ull;
}

uint64_t mixString(uint64_t h, const char* s) {
    for (; *s; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 0x100000001B3ull;
    return h;
}

// Two records of the same call site may carry different pointers (a site in an inline
// function gets one per translation unit), so sites compare by content.
bool sameSite(AllocSite a, AllocSite b) {
    return a.line() == b.line() && a.column() == b.column() &&
           (a.file_name() == b.file_name() || strcmp(a.file_name(), b.file_name()) == 0) &&
           (a.function_name() == b.function_name() ||
            strcmp(a.function_name(), b.function_name()) == 0);
}

bool sameStack(const CallStack& a, const CallStack& b) {
    return memcmp(a.pc, b.pc, sizeof a.pc) == 0;
}

// Buffered write(2) to a descriptor; stops quietly if the descriptor fails.
class FdWriter {
public:
    explicit FdWriter(int fd) : fd_(fd) {}
    ~FdWriter() { flush(); }
    void print(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        if (n <= 0) return;
        size_t len =
            static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1;
        if (len_ + len > sizeof buf_) flush();
        memcpy(buf_ + len_, line, len);
        len_ += len;
    }
    void flush() {
        size_t off = 0;
        while (ok_ && off < len_) {
            ssize_t n = ::write(fd_, buf_ + off, len_ - off);
            if (n > 0)
                off += static_cast<size_t>(n);
            else if (n < 0 && errno == EINTR)
                continue;
            else
                ok_ = false;
        }
        len_ = 0;
    }

private:
    int fd_;
    bool ok_ = true;
    size_t len_ = 0;
    char buf_[4096];
};

}  // namespace

void LiveReport::add(AllocSite site, const CallStack* stack, size_t bytes) {
    ++fragments_;
    bytes_ += bytes;
    CallStack st{};
    if (stack) st = *stack;
    uint64_t h = mixString(mixString(mix(site.line(), site.column()), site.file_name()),
                           site.function_name());
    for (uintptr_t pc : st.pc) h = mix(h, pc);
    for (size_t probe = 0; probe < kSlots; ++probe) {
        Group& g = groups_[(h + probe) & (kSlots - 1)];
        if (g.count == 0) {
            if (groupCount_ >= kMaxGroups) break;
            g.site = site;
            g.stack = st;
            g.count = 1;
            g.bytes = bytes;
            ++groupCount_;
            return;
        }
        if (sameSite(g.site, site) && sameStack(g.stack, st)) {
            ++g.count;
            g.bytes += bytes;
            return;
        }
    }
    ++overflowFragments_;
    overflowBytes_ += bytes;
}

size_t LiveReport::write(int fd) {
    // Compact the used slots to the front, then sort them largest first.
    size_t n = 0;
    for (size_t i = 0; i < kSlots; ++i)
        if (groups_[i].count) groups_[n++] = groups_[i];
    std::sort(groups_, groups_ + n, [](const Group& a, const Group& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.count > b.count;
    });

    FdWriter out(fd);
    Symboliser names;
    out.print("live fragments in heap %s: %llu fragments, %llu bytes, %zu allocation sites\n",
              heap_, static_cast<unsigned long long>(fragments_),
              static_cast<unsigned long long>(bytes_), n);
    for (size_t i = 0; i < n; ++i) {
        const Group& g = groups_[i];
        const char* fn = g.site.function_name();
        out.print("  %llu bytes in %llu fragment%s allocated at %s:%u (%s)\n",
                  static_cast<unsigned long long>(g.bytes),
                  static_cast<unsigned long long>(g.count), g.count == 1 ? "" : "s",
                  g.site.file_name()[0] ? g.site.file_name() : "?", g.site.line(),
                  fn[0] ? fn : "?");
        for (int f = 0; f < CallStack::kDepth && g.stack.pc[f]; ++f) {
            char frame[600];
            names.describe(g.stack.pc[f], frame, sizeof frame);
            out.print("      #%d %s\n", f, frame);
        }
    }
    if (overflowFragments_) {
        out.print(
            "  %llu more fragments (%llu bytes) from sites beyond the report's %zu-site "
            "table\n",
            static_cast<unsigned long long>(overflowFragments_),
            static_cast<unsigned long long>(overflowBytes_), kMaxGroups);
    }
    return static_cast<size_t>(fragments_);
}

}  // namespace osprey::mem
