// A real rtpengine daemon (/usr/bin/rtpengine) for integration tests: user-space forwarding
// only (--table=-1, no kernel module), on loopback, with its NG listener and its
// rtpproxy-compatible listener on free ports and a media port range of its own. Started and
// stopped by PID, with bounded waits; ng() talks the NG protocol to it.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace osprey::testsupport {

class RtpengineProcess {
public:
    RtpengineProcess() = default;
    ~RtpengineProcess() { stop(); }
    RtpengineProcess(const RtpengineProcess&) = delete;
    RtpengineProcess& operator=(const RtpengineProcess&) = delete;

    // Starts it and waits until it answers an NG ping; false (see log()) otherwise.
    bool start();
    // SIGTERM, a bounded wait, then SIGKILL. Idempotent.
    void stop();
    bool running() const { return pid_ > 0; }

    uint16_t ngPort() const { return ngPort_; }
    uint16_t udpPort() const { return udpPort_; }  // rtpproxy protocol
    // Its media port range: a relayed SDP's ports lie inside it.
    bool ownsMediaPort(unsigned port) const { return port >= portMin_ && port <= portMax_; }
    std::string log() const;

    // Sends one NG request (a bencoded dictionary) and returns the reply's dictionary text
    // ("" after timeoutMs without an answer).
    std::string ng(const std::string& dict, int timeoutMs = 2000) const;
    // True when the NG "list" answer names the call.
    bool hasCall(const std::string& callId) const;

private:
    pid_t pid_ = -1;
    uint16_t ngPort_ = 0;
    uint16_t udpPort_ = 0;
    unsigned portMin_ = 0, portMax_ = 0;
    std::string logPath_;
};

// A bencoded string ("3:abc").
std::string bstr(const std::string& s);

}  // namespace osprey::testsupport
