#include "core/app/daemon.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "core/log/log.h"

namespace osprey::app {

bool daemonize(bool keepStderr, int* notifyFd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        LM_ERR("cannot create the start-up pipe: %s", strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        LM_ERR("cannot fork into the background: %s", strerror(errno));
        return false;
    }
    if (pid > 0) {
        // Launcher: the daemon writes 0 when ready; EOF without a byte means it died.
        close(fds[1]);
        uint8_t status = 1;
        ssize_t n;
        do {
            n = read(fds[0], &status, 1);
        } while (n < 0 && errno == EINTR);
        _exit(n == 1 && status == 0 ? 0 : 1);
    }
    close(fds[0]);
    setsid();
    if (chdir("/") != 0) LM_WARN("cannot change to /: %s", strerror(errno));
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (!keepStderr) dup2(null, 2);
        if (null > 2) close(null);
    }
    log::setProcessName(log::processName());  // new pid
    *notifyFd = fds[1];
    return true;
}

}  // namespace osprey::app
