// A minimal syslog client over the local /dev/log datagram socket (RFC 3164 framing). Own
// instead of libc's syslog() so the crash handler can log: sending one datagram on an open
// socket is async-signal-safe, libc's syslog takes a lock and may allocate.
#pragma once
#include <cstddef>

namespace osprey::log {

class SyslogSocket {
public:
    // Connects to /dev/log; false when there is no syslog daemon listening.
    bool open();
    void close();
    bool isOpen() const { return fd_ >= 0; }
    // Sends one already framed message ("<pri>ident[pid]: text"). Reconnects once if the
    // daemon was restarted. Async-signal-safe.
    bool send(const char* msg, size_t len);

private:
    bool connectSocket();
    int fd_ = -1;
};

}  // namespace osprey::log
