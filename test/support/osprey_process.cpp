#include "test/support/osprey_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "test/support/proc_info.h"
#include "test/support/time_scale.h"

namespace osprey::testsupport {

namespace {

using Clock = std::chrono::steady_clock;

int msLeft(Clock::time_point deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

int exitCodeOf(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Waits for our child pid to exit, woken by its pidfd rather than by polling.
bool waitPid(int pid, int timeoutMs, int* status) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
        *status = st;
        return true;
    }
    if (r < 0) return false;
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        bool done = pollUntil([&] { return waitpid(pid, &st, WNOHANG) == pid; }, timeoutMs);
        if (done) *status = st;
        return done;
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(scaledMs(timeoutMs));
    for (;;) {
        pollfd p{pidfd, POLLIN, 0};
        int n = poll(&p, 1, msLeft(deadline));
        if (n > 0 || (n == 0 && msLeft(deadline) == 0)) break;
        if (n < 0 && errno != EINTR) break;
    }
    close(pidfd);
    r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
        *status = st;
        return true;
    }
    return false;
}

// fork + exec with stdout/stderr on outFd; returns the pid or -1 (exec failure reported
// through a close-on-exec pipe so it is not mistaken for a running server).
int spawn(const std::string& binary, const std::vector<std::string>& args, int outFd) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int errPipe[2];
    if (pipe2(errPipe, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(errPipe[0]);
        close(errPipe[1]);
        return -1;
    }
    if (pid == 0) {
        close(errPipe[0]);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        dup2(outFd, 1);
        dup2(outFd, 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execv(binary.c_str(), argv.data());
        int e = errno;
        ssize_t ignored = write(errPipe[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    close(errPipe[1]);
    int e = 0;
    ssize_t n = read(errPipe[0], &e, sizeof e);
    close(errPipe[0]);
    if (n == static_cast<ssize_t>(sizeof e)) {
        int st;
        waitpid(pid, &st, 0);
        errno = e;
        return -1;
    }
    return pid;
}

}  // namespace

std::string ospreyBinary() {
    const char* env = getenv("OSPREY_BINARY");
    if (env && *env) return env;
    return OSPREY_BUILD_DIR "/osprey";
}

OspreyProcess::OspreyProcess(StartOptions opts) : opts_(std::move(opts)) {
    becomeSubreaper();
}

OspreyProcess::OspreyProcess(std::string config, std::vector<std::string> args) {
    opts_.config = std::move(config);
    opts_.args = std::move(args);
    becomeSubreaper();
}

OspreyProcess::~OspreyProcess() {
    if (pid_ > 0 && !exited_) stop(3000);
    killLeftovers();
}

bool OspreyProcess::start() {
    std::vector<std::string> args = {"-D", "-E"};
    if (!opts_.config.empty()) {
        args.push_back("-f");
        args.push_back(dir_.write("osprey.cfg", opts_.config));
    }
    for (const auto& [name, content] : opts_.files) dir_.write(name, content);
    if (opts_.pidFile) {
        args.push_back("-P");
        args.push_back(pidFilePath());
    }
    args.insert(args.end(), opts_.args.begin(), opts_.args.end());
    int fd = open(logPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    pid_ = spawn(opts_.binary.empty() ? ospreyBinary() : opts_.binary, args, fd);
    close(fd);
    exited_ = false;
    return pid_ > 0;
}

std::string OspreyProcess::log() const {
    return readFile(logPath());
}

size_t OspreyProcess::countInLog(std::string_view needle) const {
    std::string text = log();
    size_t count = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
        ++count;
    return count;
}

size_t OspreyProcess::waitForLog(std::string_view needle, int timeoutMs, size_t from) const {
    auto deadline = Clock::now() + std::chrono::milliseconds(scaledMs(timeoutMs));
    int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ino >= 0) inotify_add_watch(ino, logPath().c_str(), IN_MODIFY);
    size_t found = std::string::npos;
    for (;;) {
        std::string text = log();
        size_t pos = from < text.size() ? text.find(needle, from) : std::string::npos;
        if (pos != std::string::npos) {
            found = pos + needle.size();
            break;
        }
        int left = msLeft(deadline);
        if (left == 0) break;
        if (ino >= 0) {
            pollfd p{ino, POLLIN, 0};
            // Bounded by 100 ms so a writer we cannot watch (file recreated) is still seen.
            if (poll(&p, 1, left < 100 ? left : 100) > 0) {
                char buf[4096];
                while (read(ino, buf, sizeof buf) > 0) {
                }
            }
        } else {
            poll(nullptr, 0, left < 20 ? left : 20);  // the log cannot be watched: re-read soon
        }
    }
    if (ino >= 0) close(ino);
    return found;
}

bool OspreyProcess::waitReady(int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(scaledMs(timeoutMs));
    if (pid_ <= 0) return false;
    // Wake up early if the server dies instead of becoming ready.
    for (;;) {
        if (log().find("ready:") != std::string::npos) break;
        if (!running() || msLeft(deadline) == 0) return false;
        waitForLog("ready:", msLeft(deadline) < 200 ? msLeft(deadline) : 200);
    }
    if (!opts_.pidFile) return true;
    return pollUntil([&] { return fileExists(pidFilePath()); }, msLeft(deadline));
}

std::vector<int> OspreyProcess::childPids() {
    if (pid_ <= 0) return {};
    std::vector<int> kids = childrenOf(pid_);
    for (int k : kids) {
        bool known = false;
        for (int s : seenChildren_) known = known || s == k;
        if (!known) seenChildren_.push_back(k);
    }
    return kids;
}

bool OspreyProcess::signal(int sig) const {
    return pid_ > 0 && kill(pid_, sig) == 0;
}

bool OspreyProcess::running() {
    if (pid_ <= 0 || exited_) return false;
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        status_ = st;
        return false;
    }
    return true;
}

bool OspreyProcess::waitExit(int timeoutMs, int* status) {
    if (pid_ <= 0) return false;
    if (!exited_) {
        int st;
        if (!waitPid(pid_, timeoutMs, &st)) return false;
        exited_ = true;
        status_ = st;
    }
    if (status) *status = status_;
    return true;
}

int OspreyProcess::stop(int timeoutMs) {
    if (pid_ <= 0) return -1;
    childPids();  // remember who to clean up if the master leaves them behind
    if (!exited_) signal(SIGTERM);
    int st;
    if (waitExit(timeoutMs, &st)) return exitCodeOf(st);
    kill(pid_, SIGKILL);
    waitExit(5000, &st);
    return -1;
}

void OspreyProcess::killLeftovers() {
    for (int k : seenChildren_) {
        // Only our adopted orphans (we are a subreaper) or processes still under the master.
        int parent = parentOf(k);
        if (parent == getpid() || (pid_ > 0 && parent == pid_)) {
            if (processAlive(k)) kill(k, SIGKILL);
            pollUntil([k] { return !processAlive(k); }, 2000);
            reapIfExited(k);
        }
    }
}

RunResult runOsprey(const std::vector<std::string>& args, int timeoutMs,
                    const std::string& binary) {
    RunResult r;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return r;
    int pid = spawn(binary.empty() ? ospreyBinary() : binary, args, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        r.output = std::string("cannot run osprey: ") + strerror(errno);
        return r;
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(scaledMs(timeoutMs));
    // Read until the process exits, not until EOF: a daemon it started may keep the pipe.
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    char buf[4096];
    bool exited = false;
    bool pipeOpen = true;
    while (!exited && (pipeOpen || pidfd >= 0)) {
        pollfd p[2] = {{pipeOpen ? fds[0] : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
        int n = poll(p, 2, msLeft(deadline));
        if (n <= 0) break;  // timeout (or error)
        exited = pidfd >= 0 && (p[1].revents & POLLIN);
        if (exited) fcntl(fds[0], F_SETFL, O_NONBLOCK);  // take what is there, then stop
        if (pipeOpen && (p[0].revents & (POLLIN | POLLHUP) || exited)) {
            ssize_t got;
            while ((got = read(fds[0], buf, sizeof buf)) > 0) {
                r.output.append(buf, static_cast<size_t>(got));
                if (!exited) break;
            }
            if (got == 0) pipeOpen = false;
        }
        if (!pipeOpen && pidfd < 0) exited = true;  // no pidfd: EOF is the best sign we have
    }
    if (pidfd >= 0) close(pidfd);
    close(fds[0]);
    int st;
    if (waitPid(pid, msLeft(deadline), &st)) {
        r.exitCode = exitCodeOf(st);
    } else {
        kill(pid, SIGKILL);
        waitPid(pid, 5000, &st);
        r.exitCode = -1;
    }
    return r;
}

std::string minimalConfig(unsigned children, const char* logLevel) {
    return "children = " + std::to_string(children) +
           ";\nshm_size = 16;\npkg_size = 4;\nlog_level = \"" + logLevel +
           "\";\nmodules_path = \"" OSPREY_BUILD_DIR
           "/test/modules\";\nmodules = ( { name = \"testmod_idle\"; } );\n"
           "ctl_socket = \"\";\n";
}

uint16_t freePort(int sockType) {
    int fd = socket(AF_INET, sockType, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

}  // namespace osprey::testsupport
