#include "core/app/pid_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/log/log.h"

namespace osprey::app {

bool writePidFile(const std::string& path, int pid) {
    // Write a temporary file and rename it, so a reader never sees a partial pid.
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        LM_ERR("cannot create pid file %s: %s", tmp.c_str(), strerror(errno));
        return false;
    }
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%d\n", pid);
    bool ok = write(fd, buf, static_cast<size_t>(n)) == n;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
        LM_ERR("cannot write pid file %s: %s", path.c_str(), strerror(errno));
        unlink(tmp.c_str());
        return false;
    }
    return true;
}

void removePidFile(const std::string& path, int pid) {
    if (path.empty()) return;
    FILE* f = fopen(path.c_str(), "re");
    if (!f) return;
    int filePid = 0;
    bool ours = fscanf(f, "%d", &filePid) == 1 && filePid == pid;
    fclose(f);
    if (ours && unlink(path.c_str()) != 0)
        LM_WARN("cannot remove pid file %s: %s", path.c_str(), strerror(errno));
}

}  // namespace osprey::app
