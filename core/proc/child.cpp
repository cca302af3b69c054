#include "core/proc/child.h"

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdint>

#include "core/app/heap_report.h"
#include "core/app/hooks.h"
#include "core/log/log.h"
#include "core/stats/core_stats.h"
#include "mem/lock/test_die.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::proc {

namespace {

ChildContext g_self;  // rank Master, slot 0 until runChild
int g_signalFd = -1;
int g_readyFd = -1;
int g_masterPid = 0;
bool g_stop = false;
void (*g_wakeWork)() noexcept = nullptr;

void controlSignals(sigset_t* set) {
    sigemptyset(set);
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGHUP, SIGQUIT}) sigaddset(set, s);
}

}  // namespace

const ChildContext& self() {
    return g_self;
}
bool isMaster() {
    return g_self.rank == Rank::Master;
}
int signalFd() {
    return g_signalFd;
}
bool stopRequested() {
    return g_stop;
}
void requestStop() {
    g_stop = true;
}

bool handleSignals() {
    if (g_signalFd >= 0) {
        signalfd_siginfo si;
        while (read(g_signalFd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
            switch (si.ssi_signo) {
                case SIGTERM:
                case SIGINT:
                case SIGQUIT:
                    if (!g_stop) LM_INFO("stopping on signal %u", si.ssi_signo);
                    g_stop = true;
                    break;
                case SIGUSR1:
                    app::logHeapStats(log::Level::Notice);
                    break;
                default:
                    break;  // SIGHUP: a nudge to look at the reloaded script (wake work)
            }
        }
    }
    stats::publishProcessGauges();  // pkg heap and Lua memory, now and then
    if (!isMaster() && getppid() != g_masterPid) {
        if (!g_stop) LM_WARN("master %d is gone, stopping", g_masterPid);
        g_stop = true;
    }
    if (!g_stop && g_wakeWork != nullptr) g_wakeWork();
    return !g_stop;
}

void setWakeWork(void (*work)() noexcept) {
    g_wakeWork = work;
}

void reportReady() {
    // A SIP worker that serves may be the one the die-while-holding test hook kills
    // (mem/lock/test_die.h); never during start-up, which the master treats as fatal.
    if (g_self.rank == Rank::SipWorker) mem::testDieAllowHere(true);
    if (g_readyFd < 0) return;
    uint8_t slot = static_cast<uint8_t>(g_self.slot);
    ssize_t n;
    do {
        n = write(g_readyFd, &slot, 1);
    } while (n < 0 && errno == EINTR);
    close(g_readyFd);
    g_readyFd = -1;
}

namespace detail {

void runChild(const ChildSetup& setup) {
    for (int fd : setup.closeFds)
        if (fd >= 0) close(fd);
    g_self = setup.ctx;
    g_masterPid = setup.masterPid;
    g_readyFd = setup.readyFd;
    g_stop = false;
    log::setProcessName(setup.name);

    // Die with the master; the check after prctl closes the race where it died just before.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != setup.masterPid) _exit(0);

    // The master blocks every control signal; a child takes them through its own signalfd.
    sigset_t set;
    controlSignals(&set);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    g_signalFd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    signal(SIGCHLD, SIG_DFL);

    mem::shmChildInit(setup.ctx.slot);
    if (!mem::pkgInit(setup.pkgBytes)) {
        LM_ERR("cannot create the private heap (%zu bytes)", setup.pkgBytes);
        _exit(kExitHeapInit);
    }
    app::HookContext hc{config::current(), false, &g_self};
    if (!app::runHooks(app::Stage::ChildInit, hc)) _exit(kExitHookFailed);
    if (!setup.kind->main) {
        LM_ERR("process kind '%s' has no main function", setup.kind->name.c_str());
        _exit(kExitNoMain);
    }
    if (!setup.kind->reportsReady) reportReady();
    int rc = setup.kind->main(g_self);
    app::runHooks(app::Stage::ChildExit, hc);
    mem::shmFlushCache();
    LM_DBG("exiting with status %d", rc);
    // _exit: the master's atexit handlers and static destructors are not ours to run.
    _exit(rc);
}

}  // namespace detail

}  // namespace osprey::proc
