#include "core/proc/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/app/heap_report.h"
#include "core/app/hooks.h"
#include "core/app/pid_file.h"
#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/proc/pkg_publish.h"
#include "core/proc/process_kind.h"
#include "core/proc/process_table.h"
#include "core/stats/core_stats.h"
#include "core/timer/clock.h"
#include "mem/shm.h"

namespace osprey::proc {

namespace {

void (*g_hangupAction)() = nullptr;

void masterSignals(sigset_t* set) {
    sigemptyset(set);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP}) sigaddset(set, s);
}

// "killed by signal 11 (Segmentation fault, core dumped)" / "exited with status 3".
std::string describeStatus(int status) {
    char buf[128];
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(buf, sizeof buf, "killed by signal %d (%s%s)", sig, strsignal(sig),
                 WCOREDUMP(status) ? ", core dumped" : "");
    } else if (WIFEXITED(status)) {
        snprintf(buf, sizeof buf, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, sizeof buf, "ended with wait status 0x%x", status);
    }
    return buf;
}

class Supervisor {
public:
    explicit Supervisor(const SupervisorOptions& o) : opts_(o) {}
    int run();

private:
    enum class Phase { Starting, Running, Stopping };

    bool setup();
    bool spawn(unsigned slot);
    void onSignals();
    void onReadyBytes();
    void reapChildren();
    void onChildExit(unsigned slot, int pid, int status);
    void onAllReady();
    void beginStop(int code, const char* why);
    void killRemaining();
    void notifyLauncher(uint8_t status);
    int pollTimeout() const;
    void onTimeout();

    SupervisorOptions opts_;
    ProcessTable* table_ = nullptr;
    int sigFd_ = -1;
    int readyR_ = -1;
    int readyW_ = -1;
    int masterPid_ = 0;
    Phase phase_ = Phase::Starting;
    int exitCode_ = 0;
    unsigned alive_ = 0;
    int64_t deadline_ = 0;  // start-up or stop deadline, by phase
    bool killed_ = false;   // SIGKILL already sent during the stop
    std::vector<int64_t> crashTimes_;
};

bool Supervisor::setup() {
    masterPid_ = getpid();
    table_ = processTable();
    if (!table_) table_ = createProcessTable();
    if (!table_) {
        LM_ERR("cannot allocate the process table in shm");
        return false;
    }
    sigset_t set;
    masterSignals(&set);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    sigFd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    int fds[2];
    if (sigFd_ < 0 || pipe2(fds, O_CLOEXEC) != 0) {
        LM_ERR("cannot create the supervisor's descriptors: %s", strerror(errno));
        return false;
    }
    readyR_ = fds[0];
    readyW_ = fds[1];
    fcntl(readyR_, F_SETFL, O_NONBLOCK);

    ProcessEntry& master = table_->entries[0];
    master.pid = masterPid_;
    master.rank = Rank::Master;
    master.state = ProcState::Ready;
    master.startedMs = timer::wallMs();
    snprintf(master.name, sizeof master.name, "master");
    publishPkgStats(true);          // the master's heap barely changes after this (pkg.stats)
    stats::publishProcessGauges();  // likewise its osprey:pkg_used_size row

    unsigned slot = 1;
    const auto& kinds = declaredProcesses();
    for (unsigned k = 0; k < kinds.size(); ++k) {
        for (unsigned i = 0; i < kinds[k].count; ++i, ++slot) {
            if (slot >= ProcessTable::kSlots) {
                LM_ERR("too many processes declared (at most %u)", ProcessTable::kSlots - 1);
                return false;
            }
            ProcessEntry& e = table_->entries[slot];
            e.rank = kinds[k].rank;
            e.kind = static_cast<uint16_t>(k);
            e.index = static_cast<uint16_t>(i);
            e.restarts = 0;
            snprintf(e.name, sizeof e.name, "%s#%u", kinds[k].name.c_str(), i);
        }
    }
    table_->used = slot;
    return true;
}

bool Supervisor::spawn(unsigned slot) {
    ProcessEntry& e = table_->entries[slot];
    const ProcessKind& kind = declaredProcesses()[e.kind];
    e.state = ProcState::Starting;
    e.startedMs = timer::wallMs();
    pid_t pid = fork();
    if (pid < 0) {
        LM_ERR("cannot fork %s: %s", e.name, strerror(errno));
        e.state = ProcState::Free;
        return false;
    }
    if (pid == 0) {
        detail::ChildSetup s{ChildContext{e.rank, e.index, slot},
                             &kind,
                             e.name,
                             masterPid_,
                             readyW_,
                             {sigFd_, readyR_},
                             opts_.pkgBytes};
        detail::runChild(s);
    }
    e.pid = pid;
    ++alive_;
    LM_DBG("forked %s as pid %d", e.name, pid);
    return true;
}

void Supervisor::notifyLauncher(uint8_t status) {
    if (opts_.notifyFd < 0) return;
    ssize_t n;
    do {
        n = write(opts_.notifyFd, &status, 1);
    } while (n < 0 && errno == EINTR);
    close(opts_.notifyFd);
    opts_.notifyFd = -1;
}

void Supervisor::onAllReady() {
    phase_ = Phase::Running;
    if (!opts_.pidFile.empty() && !app::writePidFile(opts_.pidFile, masterPid_)) {
        beginStop(1, "the pid file cannot be written");
        return;
    }
    LM_NOTICE("ready: %u processes running", alive_ + 1);
    notifyLauncher(0);
}

void Supervisor::onReadyBytes() {
    uint8_t slots[64];
    ssize_t n;
    while ((n = read(readyR_, slots, sizeof slots)) > 0) {
        for (ssize_t i = 0; i < n; ++i) {
            ProcessEntry& e = table_->entries[slots[i]];
            if (slots[i] == 0 || slots[i] >= table_->used || e.pid == 0) continue;  // died since
            if (e.state == ProcState::Starting) e.state = ProcState::Ready;
            if (e.restarts > 0) {
                LM_INFO("%s (pid %d) is ready again", e.name, e.pid.load());
            } else {
                LM_DBG("%s (pid %d) is ready", e.name, e.pid.load());
            }
        }
    }
    if (phase_ != Phase::Starting) return;
    for (unsigned s = 1; s < table_->used; ++s)
        if (table_->entries[s].state != ProcState::Ready) return;
    onAllReady();
}

void Supervisor::beginStop(int code, const char* why) {
    if (phase_ == Phase::Stopping) return;
    if (code != 0) {
        LM_ERR("stopping the server: %s", why);
    } else {
        LM_NOTICE("stopping: %s", why);
    }
    phase_ = Phase::Stopping;
    exitCode_ = code;
    notifyLauncher(1);  // no-op once the launcher was told we are ready
    for (unsigned s = 1; s < table_->used; ++s) {
        ProcessEntry& e = table_->entries[s];
        if (e.pid == 0) continue;
        e.state = ProcState::Stopping;
        kill(e.pid, SIGTERM);
    }
    deadline_ = timer::nowMs() + opts_.stopTimeoutMs;
}

void Supervisor::killRemaining() {
    for (unsigned s = 1; s < table_->used; ++s) {
        ProcessEntry& e = table_->entries[s];
        if (e.pid == 0) continue;
        LM_WARN("%s (pid %d) did not stop within %d ms, killing it", e.name, e.pid.load(),
                opts_.stopTimeoutMs);
        kill(e.pid, SIGKILL);
    }
    killed_ = true;
    deadline_ = timer::nowMs() + 2000;
}

void Supervisor::onChildExit(unsigned slot, int pid, int status) {
    ProcessEntry& e = table_->entries[slot];
    ProcState was = e.state;
    e.pid = 0;
    e.state = ProcState::Free;
    --alive_;
    std::string how = describeStatus(status);
    if (phase_ == Phase::Stopping) {
        bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        LM_LOG(clean ? log::Level::Info : log::Level::Warn, "%s (pid %d) %s", e.name, pid,
               how.c_str());
        return;
    }
    LM_ERR("%s (pid %d) %s", e.name, pid, how.c_str());
    if (was == ProcState::Starting) {
        // A process that cannot start will not start on a retry either.
        beginStop(1, "a process failed during start-up");
        return;
    }
    const ProcessKind& kind = declaredProcesses()[e.kind];
    if (kind.onExit != OnExit::Restart) {
        beginStop(1, "a process that cannot be restarted died");
        return;
    }
    int64_t now = timer::nowMs();
    std::erase_if(crashTimes_, [&](int64_t t) { return now - t > opts_.restartWindowMs; });
    if (crashTimes_.size() >= opts_.maxRestarts) {
        char why[96];
        snprintf(why, sizeof why, "too many crashes (%zu within %d s)", crashTimes_.size() + 1,
                 opts_.restartWindowMs / 1000);
        beginStop(1, why);
        return;
    }
    crashTimes_.push_back(now);
    ++e.restarts;
    LM_NOTICE("restarting %s (restart %u)", e.name, e.restarts);
    if (!spawn(slot)) beginStop(1, "a process could not be restarted");
}

void Supervisor::reapChildren() {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        // Whatever the dead process kept in its shm cache goes back to the heap before a
        // replacement starts (one that exited cleanly has flushed it already).
        mem::shmReclaimDeadProcess(pid);
        bool known = false;
        for (unsigned s = 1; s < table_->used && !known; ++s) {
            if (table_->entries[s].pid == pid) {
                known = true;
                onChildExit(s, pid, status);
            }
        }
        if (!known) LM_DBG("reaped pid %d (%s)", pid, describeStatus(status).c_str());
    }
}

void Supervisor::onSignals() {
    signalfd_siginfo si;
    while (read(sigFd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        switch (si.ssi_signo) {
            case SIGCHLD:
                reapChildren();
                break;
            case SIGTERM:
            case SIGINT:
            case SIGQUIT: {
                char why[64];
                snprintf(why, sizeof why, "%s received",
                         sigabbrev_np(static_cast<int>(si.ssi_signo)));
                beginStop(0, why);
                break;
            }
            case SIGUSR1:
                app::logHeapStats(log::Level::Notice);
                // The allocator's own walk (every fragment and guard in qm / MEMDBG=1
                // builds), e.g. after a process died holding the allocator lock.
                LM_NOTICE("shm: heap check: %s", mem::shmCheck() ? "consistent" : "CORRUPT");
                for (unsigned s = 1; s < table_->used; ++s)
                    if (table_->entries[s].pid != 0) kill(table_->entries[s].pid, SIGUSR1);
                break;
            case SIGHUP:
                if (g_hangupAction != nullptr) {
                    LM_NOTICE("SIGHUP received: reloading the routing script");
                    g_hangupAction();
                } else {
                    LM_NOTICE("SIGHUP ignored: nothing to reload");
                }
                break;
            default:
                break;
        }
    }
    // A SIGCHLD can coalesce with another: reap anyway so no exit is missed.
    reapChildren();
}

int Supervisor::pollTimeout() const {
    if (phase_ == Phase::Running) return -1;
    int64_t left = deadline_ - timer::nowMs();
    return left < 0 ? 0 : static_cast<int>(left);
}

void Supervisor::onTimeout() {
    if (timer::nowMs() < deadline_) return;
    if (phase_ == Phase::Starting) {
        char why[96];
        snprintf(why, sizeof why, "not every process was ready within %d ms", opts_.startTimeoutMs);
        beginStop(1, why);
    } else if (phase_ == Phase::Stopping && !killed_) {
        killRemaining();
    }
}

int Supervisor::run() {
    if (!setup()) return 1;
    deadline_ = timer::nowMs() + opts_.startTimeoutMs;
    for (unsigned s = 1; s < table_->used; ++s) {
        if (!spawn(s)) {
            beginStop(1, "cannot fork");
            break;
        }
    }
    if (phase_ == Phase::Starting && table_->used == 1) onAllReady();  // nothing to fork
    while (!(phase_ == Phase::Stopping && alive_ == 0)) {
        if (phase_ == Phase::Stopping && killed_ && timer::nowMs() >= deadline_) {
            LM_ERR("%u processes survived SIGKILL; giving up on them", alive_);
            break;
        }
        pollfd fds[2] = {{sigFd_, POLLIN, 0}, {readyR_, POLLIN, 0}};
        int n = poll(fds, 2, pollTimeout());
        if (n < 0 && errno != EINTR) {
            LM_ERR("poll: %s", strerror(errno));
            beginStop(1, "the supervisor loop failed");
        }
        if (n > 0 && (fds[1].revents & POLLIN)) onReadyBytes();
        if (n > 0 && (fds[0].revents & POLLIN)) onSignals();
        onTimeout();
    }
    app::HookContext hc{config::current(), false, nullptr};
    app::runHooks(app::Stage::MasterExit, hc);
    app::removePidFile(opts_.pidFile, masterPid_);
    notifyLauncher(1);
    close(sigFd_);
    close(readyR_);
    close(readyW_);
    destroyProcessTable();
    LM_NOTICE("stopped%s", exitCode_ ? " after a failure" : "");
    return exitCode_;
}

}  // namespace

void setHangupAction(void (*action)()) {
    g_hangupAction = action;
}

void blockMasterSignals() {
    sigset_t set;
    masterSignals(&set);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

int runMaster(const SupervisorOptions& opts) {
    return Supervisor(opts).run();
}

}  // namespace osprey::proc
