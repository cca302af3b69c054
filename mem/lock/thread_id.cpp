// Thread id cache and liveness probe for the process-shared locks.
#include "mem/lock/thread_id.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace osprey::mem {

namespace {

void clearTidInChild() { detail::t_tid = 0; }

// Registered once per process image; fork keeps the registration in the child.
[[maybe_unused]] const int g_atforkRegistered = pthread_atfork(nullptr, nullptr, clearTidInChild);

} // namespace

uint32_t detail::refreshTid() {
    t_tid = static_cast<uint32_t>(syscall(SYS_gettid));
    return t_tid;
}

namespace {

// A killed process stays a zombie until its parent reaps it, and kill(pid, 0) still succeeds
// on a zombie; its /proc state ('Z' or 'X') says it will never run again.
bool isZombie(uint32_t tid) {
    char path[48];
    snprintf(path, sizeof path, "/proc/%u/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    // "pid (comm) S ...": comm may contain ')' itself, so take the last one.
    const char* paren = strrchr(buf, ')');
    if (!paren || paren[1] != ' ') return false;
    return paren[2] == 'Z' || paren[2] == 'X';
}

} // namespace

bool threadGone(uint32_t tid) {
    if (tid == 0) return false;
    // kill() accepts any thread id (it resolves to the thread's group) and fails with ESRCH
    // once the thread has exited and been reaped.
    if (kill(static_cast<pid_t>(tid), 0) == -1) return errno == ESRCH;
    return isZombie(tid);
}

} // namespace osprey::mem
