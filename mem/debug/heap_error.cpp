// Formatting of the debug allocators' fault reports (see heap_error.h).
#include "mem/debug/heap_error.h"

#include <syslog.h>
#include <cstdarg>
#include <cstdio>

#include "mem/mem_log.h"

namespace osprey::mem {

namespace {

// Appends to a fixed line buffer; truncates silently (the line is still one line).
class Line {
public:
    void add(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        if (len_ >= sizeof buf_ - 1) return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf_ + len_, sizeof buf_ - len_, fmt, ap);
        va_end(ap);
        if (n > 0) len_ += static_cast<size_t>(n) < sizeof buf_ - len_ ? n : sizeof buf_ - 1 - len_;
    }
    void site(AllocSite s) {
        const char* fn = s.function_name();
        add("%s:%u (%s)", s.file_name()[0] ? s.file_name() : "?", s.line(), fn[0] ? fn : "?");
    }
    void block(const BlockDesc& b) {
        if (b.size != BlockDesc::kUnknown)
            add(" (%zu bytes ", b.size);
        else
            add(" (block ");
        if (b.siteKnown) {
            add("allocated at ");
            site(b.allocSite);
        } else {
            add("allocated at an unknown site: its record is destroyed");
        }
        if (b.freedKnown) {
            add(", already freed at ");
            site(b.freedAt);
        }
        add(")");
    }
    void origin(FaultOrigin o, const char* outcome) {
        if (o.op) {
            add("; %s at ", o.op);
            site(o.site);
            if (outcome) add(" %s", outcome);
        } else {
            add("; found by check()");
        }
    }
    void suppressed(uint64_t n) {
        if (n) add(" [%llu similar reports suppressed]", static_cast<unsigned long long>(n));
    }
    const char* text() const { return buf_; }

private:
    char buf_[1000] = {};
    size_t len_ = 0;
};

}  // namespace

bool ErrorBudget::allow(uint64_t* suppressed) {
    uint64_t now = coarseNowMs();
    uint64_t start = windowMs_.load(std::memory_order_relaxed);
    if (start == 0 || now - start >= 1000) {
        if (windowMs_.compare_exchange_strong(start, now ? now : 1, std::memory_order_relaxed))
            used_.store(0, std::memory_order_relaxed);
    }
    if (used_.fetch_add(1, std::memory_order_relaxed) >= kBurst) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    *suppressed = dropped_.exchange(0, std::memory_order_relaxed);
    return true;
}

void reportFault(ErrorBudget& budget, const char* heap, FragFault fault, const void* ptr,
                 const BlockDesc& block, FaultOrigin origin, size_t detail) {
    uint64_t suppressed = 0;
    if (!budget.allow(&suppressed)) return;
    Line l;
    const char* ignored = "ignored";
    switch (fault) {
        case FragFault::DoubleFree:
            l.add("%s: double free of %p", heap, ptr);
            l.block(block);
            break;
        case FragFault::Overrun:
            l.add("%s: buffer overrun after %p: tail guard broken at byte %zu", heap, ptr, detail);
            l.block(block);
            ignored = "ignored, block kept out of use";
            break;
        case FragFault::HeaderCorrupt:
            l.add("%s: header before %p corrupted (buffer underrun?)", heap, ptr);
            l.block(block);
            ignored = "ignored, block kept out of use";
            break;
        case FragFault::NotInHeap:
            l.add("%s: %p is not in this heap", heap, ptr);
            break;
        case FragFault::Interior:
            l.add("%s: %p points %zu bytes into a block", heap, ptr, detail);
            l.block(block);
            break;
        case FragFault::NotABlock:
            l.add("%s: %p is not the start of a block of this heap", heap, ptr);
            break;
    }
    if (!origin.op && fault == FragFault::Overrun) ignored = nullptr;
    l.origin(origin, ignored);
    l.suppressed(suppressed);
    memLog(LOG_ERR, "%s", l.text());
}

void reportCorruption(ErrorBudget& budget, const char* heap, const void* where, const char* what,
                      FaultOrigin origin) {
    uint64_t suppressed = 0;
    if (!budget.allow(&suppressed)) return;
    Line l;
    l.add("%s: heap corrupted at %p: %s", heap, where, what);
    l.origin(origin, nullptr);
    l.suppressed(suppressed);
    memLog(LOG_ERR, "%s", l.text());
}

}  // namespace osprey::mem
