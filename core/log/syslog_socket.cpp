#include "core/log/syslog_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace osprey::log {

namespace {
constexpr const char* kLogPath = "/dev/log";
}

bool SyslogSocket::connectSocket() {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, kLogPath, sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return false;
    }
    fd_ = fd;
    return true;
}

bool SyslogSocket::open() {
    close();
    return connectSocket();
}

void SyslogSocket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool SyslogSocket::send(const char* msg, size_t len) {
    if (fd_ < 0) return false;
    int saved = errno;
    bool ok = ::send(fd_, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0;
    if (!ok && (errno == ECONNREFUSED || errno == ENOTCONN)) {
        // syslogd restarted: its socket is a new one.
        ::close(fd_);
        fd_ = -1;
        ok = connectSocket() && ::send(fd_, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0;
    }
    errno = saved;
    return ok;
}

}  // namespace osprey::log
