// Everything in the handler is async-signal-safe: libunwind's local unwinding and
// unw_get_proc_name are documented as such, numbers are formatted by hand, and lines go out
// through log::writeRaw (one write() or one syslog datagram each). Names are left mangled:
// demangling allocates.
#define UNW_LOCAL_ONLY
#include "core/proc/crash_handler.h"

#include <libunwind.h>

#include <sys/mman.h>
#include <unistd.h>
#include <csignal>
#include <cstring>

#include "core/log/log.h"
#include "core/sip/text.h"

namespace osprey::proc {

namespace {

constexpr size_t kAltStackSize = 256 * 1024;  // roomy: sanitizer builds use more stack
constexpr int kMaxFrames = 48;
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

class Line {
public:
    Line& str(const char* s) {
        while (*s && len_ < sizeof buf_) buf_[len_++] = *s++;
        return *this;
    }
    Line& dec(long v) {
        if (v < 0) {
            str("-");
            v = -v;
        }
        char tmp[24];
        int n = 0;
        do {
            tmp[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v && n < 24);
        while (n > 0 && len_ < sizeof buf_) buf_[len_++] = tmp[--n];
        return *this;
    }
    Line& hex(unsigned long v) {
        str("0x");
        char tmp[20];
        int n = 0;
        do {
            tmp[n++] = sip::kHexDigits[v & 15];
            v >>= 4;
        } while (v && n < 20);
        while (n > 0 && len_ < sizeof buf_) buf_[len_++] = tmp[--n];
        return *this;
    }
    void emit() { log::writeRaw(log::Level::Err, buf_, len_); }

private:
    char buf_[600];
    size_t len_ = 0;
};

const char* signalName(int sig) {
    switch (sig) {
        case SIGSEGV:
            return "SIGSEGV";
        case SIGBUS:
            return "SIGBUS";
        case SIGILL:
            return "SIGILL";
        case SIGFPE:
            return "SIGFPE";
        case SIGABRT:
            return "SIGABRT";
    }
    return "signal";
}

void writeBacktrace(void* uctx) {
    unw_cursor_t cursor;
    unw_context_t context;
    // Start at the interrupted frame when we have the signal's context, so frame #0 is
    // where the crash happened rather than this handler.
    bool ok = false;
    if (uctx) {
        memcpy(&context, uctx,
               sizeof context < sizeof(ucontext_t) ? sizeof context : sizeof(ucontext_t));
        ok = unw_init_local2(&cursor, &context, UNW_INIT_SIGNAL_FRAME) == 0;
    }
    if (!ok) {
        if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0) {
            Line().str("backtrace: libunwind could not start").emit();
            return;
        }
    }
    for (int i = 0; i < kMaxFrames; ++i) {
        unw_word_t ip = 0;
        unw_get_reg(&cursor, UNW_REG_IP, &ip);
        char name[256];
        unw_word_t off = 0;
        Line line;
        line.str("  #").dec(i).str(" ").hex(ip);
        if (unw_get_proc_name(&cursor, name, sizeof name, &off) == 0)
            line.str(" ").str(name).str("+").hex(off);
        else
            line.str(" ?");
        line.emit();
        if (unw_step(&cursor) <= 0) break;
    }
}

void onCrash(int sig, siginfo_t* info, void* uctx) {
    int savedErrno = errno;
    Line head;
    head.str("crash: ").str(signalName(sig)).str(" (").dec(sig).str(")");
    // si_code <= 0: sent by kill()/raise(), so there is no faulting address.
    if (info && info->si_code <= 0) {
        head.str(" sent by pid ").dec(info->si_pid);
    } else if (info && sig != SIGABRT) {
        head.str(" at address ").hex(reinterpret_cast<unsigned long>(info->si_addr));
    }
    head.str(", backtrace:");
    head.emit();
    writeBacktrace(uctx);
    Line().str("crash: end of backtrace").emit();
    errno = savedErrno;
    // SA_RESETHAND restored the default action; re-raise so the process dies of this signal
    // even when it was sent with kill() (returning would just carry on).
    raise(sig);
}

}  // namespace

bool installCrashHandler() {
    void* stack =
        mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) return false;
    stack_t ss{};
    ss.ss_sp = stack;
    ss.ss_size = kAltStackSize;
    if (sigaltstack(&ss, nullptr) != 0) return false;
    struct sigaction sa {};
    sa.sa_sigaction = onCrash;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int sig : kSignals) {
        if (sigaction(sig, &sa, nullptr) != 0) return false;
    }
    return true;
}

}  // namespace osprey::proc
